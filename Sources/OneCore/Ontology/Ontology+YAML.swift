import Foundation
import Yams

extension Ontology {
    /// The file format: each key a list of names. Every key is optional, so a feature file can
    /// add just the thing types it needs.
    struct File: Decodable {
        var groupTypes: [String]?
        var thingTypes: [String]?
        var reservedThingTypes: [String]?
        var thingStatuses: [String]?
        var connectionTypes: [String]?
        var eventTypes: [String]?
        var lifecycleEventTypes: [String]?
        var knowledgeTypes: [String]?
        var connectionEnds: [String: ConnectionEnds]?
        var eventAliases: [String: String]?
    }

    /// Parses one ontology YAML document.
    public init(yaml: String, source: String) throws {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: yaml)
        } catch {
            throw OneError.validation("ontology", "ontology \(source) is not a valid ontology file: \(error)")
        }
        let lifecycle = Set(file.lifecycleEventTypes ?? [])
        self.init(
            groupTypes: Set(file.groupTypes ?? []),
            thingTypes: Set(file.thingTypes ?? []).union(file.reservedThingTypes ?? []),
            reservedThingTypes: Set(file.reservedThingTypes ?? []),
            thingStatuses: Set(file.thingStatuses ?? []),
            connectionTypes: Set(file.connectionTypes ?? []),
            eventTypes: Set(file.eventTypes ?? []).union(lifecycle),
            lifecycleEventTypes: lifecycle,
            knowledgeTypes: Set(file.knowledgeTypes ?? []),
            connectionEnds: file.connectionEnds ?? [:],
            eventAliases: file.eventAliases ?? [:]
        )
    }

    /// The ontology shipped with the server (ONTOLOGY.md's vocabularies).
    public static func base() throws -> Ontology {
        try shipped("ontology")
    }

    /// Names of the feature ontologies shipped with the server (`shop`, `courses`, …).
    public static let featureNames = ["core", "blog", "portfolio", "shop", "courses", "community", "tokens"]

    /// The base ontology extended by each of `extensions`: a shipped feature's name or a YAML file path.
    public static func load(extensions: [String]) throws -> Ontology {
        var ontology = try base()
        for source in extensions {
            if featureNames.contains(source), !FileManager.default.fileExists(atPath: source) {
                ontology = ontology.merging(try shipped("feature-\(source)"))
            } else {
                guard let data = FileManager.default.contents(atPath: source) else {
                    throw OneError.validation("ontology", "cannot read ontology file \(source)")
                }
                ontology = ontology.merging(try Ontology(yaml: String(decoding: data, as: UTF8.self), source: source))
            }
        }
        return ontology
    }

    private static func shipped(_ name: String) throws -> Ontology {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml"),
            let data = FileManager.default.contents(atPath: url.path)
        else {
            throw OneError(.internal, "the shipped ontology \(name).yaml is missing from the bundle")
        }
        return try Ontology(yaml: String(decoding: data, as: UTF8.self), source: name)
    }
}
