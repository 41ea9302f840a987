/// `/api/ai/embed`: texts to embed.
public struct EmbedRequest: Codable, Sendable {
    public var texts: [String]?
    public init(texts: [String]?) { self.texts = texts }
}

public struct EmbedResult: Sendable {
    public var embeddings: [[Float]]
    public var model: String
    public var dimensions: Int
    public var tokens: Int
}

/// `/api/ai/generate` and `/api/ai/stream`: a prompt, answered from retrieved knowledge when
/// `context` is true.
public struct GenerateRequest: Codable, Sendable {
    public var prompt: String?
    public var context: Bool?
    /// Passages retrieved with `context` (default 5, at most 20).
    public var limit: Int?
    public var system: String?
    public var maxTokens: Int?

    public init(prompt: String?, context: Bool? = nil, limit: Int? = nil, system: String? = nil, maxTokens: Int? = nil) {
        self.prompt = prompt
        self.context = context
        self.limit = limit
        self.system = system
        self.maxTokens = maxTokens
    }
}

/// A passage an answer drew on, numbered as the answer cites it ([1] is the first).
public struct AISource: Sendable, Equatable {
    public var id: String
    public var documentId: String?
    public var title: String?
    public var score: Double
    public var text: String

}

extension Passage {
    /// A retrieved source as a generator reads it.
    init(_ source: AISource) {
        self.init(id: source.id, text: source.text, title: source.title, score: source.score)
    }
}

public struct GenerateResult: Sendable {
    public var text: String
    public var model: String
    public var tokens: Int
    public var sources: [AISource]?
}

/// `/api/ai/chat`: a message, in a new conversation or one given.
public struct ChatRequest: Codable, Sendable {
    public var conversationId: String?
    public var message: String?
    /// Whether to retrieve knowledge for the answer (default true).
    public var context: Bool?
    public var limit: Int?

    public init(conversationId: String? = nil, message: String?, context: Bool? = nil, limit: Int? = nil) {
        self.conversationId = conversationId
        self.message = message
        self.context = context
        self.limit = limit
    }
}

public struct ChatResult: Sendable {
    public var conversationId: String
    /// The stored `message` things: the user's and the reply.
    public var messageId: String
    public var replyId: String
    public var reply: String
    public var model: String
    public var tokens: Int
    public var sources: [AISource]
}

/// `/api/ai/extract`: text whose entities become things.
public struct ExtractRequest: Codable, Sendable {
    public var text: String?
    /// Entity types to look for (default person, organization, location, event).
    public var types: [String]?
    /// A thing the text came from; each entity is connected from it (`references`).
    public var sourceThingId: String?

    public init(text: String?, types: [String]? = nil, sourceThingId: String? = nil) {
        self.text = text
        self.types = types
        self.sourceThingId = sourceThingId
    }
}

public struct ExtractResult: Sendable {
    /// The `entity` things created, one per entity found.
    public var entities: [Thing]
    public var connections: [Connection]
    public var model: String
    public var tokens: Int
}

/// A streamed generation: the sources it draws on (known before the first word) and the
/// words as they come. Its usage is charged when the stream ends.
public struct GenerationStream: Sendable {
    public var sources: [AISource]
    public var model: String
    public var events: AsyncThrowingStream<GenerationEvent, any Error>
}
