import Foundation

/// The API contract, `Resources/openapi.json`, read once at start and served as is.
enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = FileManager.default.contents(atPath: url.path)
        else { return Array(#"{"error":"the OpenAPI document is missing from this build","code":"INTERNAL"}"#.utf8) }
        return Array(data)
    }()
}
