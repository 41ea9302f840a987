extension SearchHit: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "text": .string(text), "score": .number(score), "labels": .init(labels), "metadata": metadata,
        ]
        object["documentId"] = documentId.map(JSONValue.string) ?? .null
        object["sourceThingId"] = sourceThingId.map(JSONValue.string) ?? .null
        return .object(object)
    }
}

extension SearchResults: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "results": .array(results.map(\.json)), "count": .integer(Int64(count)), "mode": .string(mode.rawValue),
        ]
        object["embedder"] = embedder.map(JSONValue.string)
        return .object(object)
    }
}

extension ReembedResult: JSONRepresentable {
    public var json: JSONValue {
        ["reembedded": .integer(Int64(reembedded)), "remaining": .integer(Int64(remaining)), "model": .string(model)]
    }
}

extension EmbedResult: JSONRepresentable {
    public var json: JSONValue {
        [
            "embeddings": .array(embeddings.map { .array($0.map { .number(Double($0)) }) }), "model": .string(model),
            "dimensions": .integer(Int64(dimensions)), "tokens": .integer(Int64(tokens)),
        ]
    }
}

extension AISource: JSONRepresentable {
    public var json: JSONValue {
        [
            "_id": .string(id), "documentId": documentId.map(JSONValue.string) ?? .null,
            "title": title.map(JSONValue.string) ?? .null, "score": .number(score), "text": .string(text),
        ]
    }
}

extension GenerateResult: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = ["text": .string(text), "model": .string(model), "tokens": .integer(Int64(tokens))]
        object["sources"] = sources.map { .array($0.map(\.json)) }
        return .object(object)
    }
}

extension ChatResult: JSONRepresentable {
    public var json: JSONValue {
        [
            "conversationId": .string(conversationId), "messageId": .string(messageId), "replyId": .string(replyId),
            "reply": .string(reply), "model": .string(model), "tokens": .integer(Int64(tokens)),
            "sources": .array(sources.map(\.json)),
        ]
    }
}

extension ExtractResult: JSONRepresentable {
    public var json: JSONValue {
        [
            "entities": .array(entities.map(\.json)), "connections": .array(connections.map(\.json)), "model": .string(model),
            "tokens": .integer(Int64(tokens)),
        ]
    }
}
