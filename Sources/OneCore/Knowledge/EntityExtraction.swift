/// An entity a generator found in text, as the seeds' `extractEntities` shapes it.
public struct ExtractedEntity: Sendable, Equatable {
    public var name: String
    public var type: String
    public var description: String

    public init(name: String, type: String, description: String) {
        self.name = name
        self.type = type
        self.description = description
    }

    var json: JSONValue { ["name": .string(name), "type": .string(type), "description": .string(description)] }
}

/// The structured-output contract of entity extraction, and the offline heuristic behind the
/// local generator's answer to it.
public enum EntityExtraction {
    public static let defaultTypes = ["person", "organization", "location", "event"]

    public static var schema: StructuredSchema { schema(types: defaultTypes) }

    public static func schema(types: [String]) -> StructuredSchema {
        let entity: JSONValue = [
            "type": "object",
            "properties": [
                "name": ["type": "string"],
                "type": ["type": "string", "enum": .array(types.map(JSONValue.string))],
                "description": ["type": "string"],
            ],
            "required": ["name", "type", "description"],
            "additionalProperties": false,
        ]
        return StructuredSchema(name: "entities", schema: [
            "type": "object",
            "properties": ["entities": ["type": "array", "items": entity]],
            "required": ["entities"],
            "additionalProperties": false,
        ])
    }

    /// Reads the entities out of a generator's object, dropping malformed ones and types not asked for.
    static func entities(in object: JSONValue, types: [String]) -> [ExtractedEntity] {
        guard let items = object.objectValue?["entities"]?.arrayValue else { return [] }
        return items.compactMap { item in
            guard let fields = item.objectValue, let name = fields["name"]?.stringValue?.trimmingWhitespace(), !name.isEmpty,
                let type = fields["type"]?.stringValue, types.contains(type)
            else { return nil }
            return ExtractedEntity(name: String(name.prefix(200)), type: type, description: String((fields["description"]?.stringValue ?? "").prefix(1000)))
        }
    }

    /// Runs of capitalised words, typed by the words around them: organisation suffixes, a
    /// preposition of place, event nouns, titles. A heuristic: it finds names, not meaning.
    static func heuristicEntities(in text: String) -> [ExtractedEntity] {
        var found: [ExtractedEntity] = []
        var seen = Set<String>()
        for sentence in Chunker.sentences(of: text) {
            let words = sentence.split(separator: " ").map { word in
                String(word.drop { !$0.isLetter && !$0.isNumber }.reversed().drop { !$0.isLetter && !$0.isNumber }.reversed())
            }
            var index = 0
            while index < words.count {
                guard isCapitalised(words[index]) else { index += 1; continue }
                var end = index + 1
                while end < words.count, isCapitalised(words[end]) || (["of", "de", "&"].contains(words[end]) && end + 1 < words.count && isCapitalised(words[end + 1])) {
                    end += 1
                }
                var name = Array(words[index..<end])
                let previous = index > 0 ? words[index - 1].lowercased() : ""
                if index == 0, name.count == 1 || TextTerms.isStopWord(name[0].lowercased()) { name.removeFirst() }
                if let first = name.first, titles.contains(first) { name.removeFirst() }
                if !name.isEmpty, !(name.count == 1 && TextTerms.isStopWord(name[0].lowercased())) {
                    let joined = name.joined(separator: " ")
                    let type = classify(name, previous: previous, titled: index > 0 && titles.contains(words[index - 1]) || titles.contains(words[index]))
                    if seen.insert(joined.lowercased()).inserted {
                        found.append(ExtractedEntity(name: joined, type: type, description: String(sentence.prefix(280))))
                    }
                }
                index = end
            }
        }
        return found
    }

    private static func isCapitalised(_ word: String) -> Bool {
        guard let first = word.first else { return false }
        return first.isUppercase
    }

    private static func classify(_ name: [String], previous: String, titled: Bool) -> String {
        if titled { return "person" }
        if let last = name.last, organisationWords.contains(last) { return "organization" }
        if name.contains(where: eventWords.contains) { return "event" }
        if placePrepositions.contains(previous) { return "location" }
        return name.count >= 2 ? "person" : "organization"
    }

    static let titles: Set<String> = ["Mr", "Mrs", "Ms", "Dr", "Prof", "President", "Sir", "Dame", "CEO", "Senator"]
    static let organisationWords: Set<String> = [
        "Inc", "Corp", "Corporation", "Company", "Co", "Ltd", "LLC", "University", "Institute", "Foundation", "Group",
        "Bank", "Agency", "Association", "Council", "Society", "Labs", "Records", "Studios", "Ministry", "Committee",
    ]
    static let eventWords: Set<String> = [
        "Conference", "Summit", "Festival", "War", "Olympics", "Championship", "Expo", "Week", "Day", "Cup", "Games", "Fair",
    ]
    static let placePrepositions: Set<String> = ["in", "at", "from", "to", "near", "across", "around", "visited"]
}
