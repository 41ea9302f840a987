import Foundation

/// The API contract, `Resources/openapi.json`, and the page that renders it, read once at
/// start and served as they are.
enum OpenAPIDocument {
    static let bytes = resource("openapi", "json") ?? Array(#"{"error":"the OpenAPI document is missing from this build","code":"INTERNAL"}"#.utf8)
    static let page = resource("docs", "html") ?? Array("<p>The documentation page is missing from this build.</p>".utf8)

    private static func resource(_ name: String, _ type: String) -> [UInt8]? {
        guard let url = Bundle.module.url(forResource: name, withExtension: type),
            let data = FileManager.default.contents(atPath: url.path)
        else { return nil }
        return Array(data)
    }
}
