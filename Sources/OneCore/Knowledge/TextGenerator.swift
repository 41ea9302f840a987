/// Writes text from a conversation: the port behind `/api/ai/generate`, `/stream`, `/chat`
/// and `/extract`. OpenAI-compatible services, Anthropic, and the offline extractive generator
/// implement it.
public protocol TextGenerator: Sendable {
    /// The model that answers, as reported to clients.
    var model: String { get }
    func generate(_ request: GenerationRequest) async throws -> Generation
    /// The answer as it is written. Cancelling the consuming task stops the generation (and
    /// the provider's request).
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error>
    /// An object that conforms to `schema` (JSON Schema), as the model fills it in.
    func generateObject(_ request: GenerationRequest, schema: StructuredSchema) async throws -> (object: JSONValue, usage: TokenUsage)
}

/// What a generator is asked.
public struct GenerationRequest: Sendable, Equatable {
    /// Instructions ahead of the conversation.
    public var system: String?
    public var messages: [ChatMessage]
    /// Passages retrieved for the question, numbered from 1 in the order given; generators cite
    /// them as [1], [2]….
    public var sources: [Passage]
    public var maxTokens: Int

    public init(system: String? = nil, messages: [ChatMessage], sources: [Passage] = [], maxTokens: Int = 1024) {
        self.system = system
        self.messages = messages
        self.sources = sources
        self.maxTokens = maxTokens
    }

    /// The last thing the user said.
    public var question: String { messages.last { $0.role == .user }?.content ?? "" }
}

public struct ChatMessage: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// A retrieved passage handed to a generator.
public struct Passage: Sendable, Equatable {
    public var id: String
    public var text: String
    public var title: String?
    public var score: Double

    public init(id: String, text: String, title: String? = nil, score: Double) {
        self.id = id
        self.text = text
        self.title = title
        self.score = score
    }
}

public struct TokenUsage: Sendable, Equatable {
    public var prompt: Int
    public var completion: Int
    public var total: Int { prompt + completion }

    public init(prompt: Int, completion: Int) {
        self.prompt = prompt
        self.completion = completion
    }
}

public struct Generation: Sendable, Equatable {
    public var text: String
    public var model: String
    public var usage: TokenUsage

    public init(text: String, model: String, usage: TokenUsage) {
        self.text = text
        self.model = model
        self.usage = usage
    }
}

public enum GenerationEvent: Sendable, Equatable {
    case delta(String)
    case finished(TokenUsage)
}

/// A named JSON Schema for structured output.
public struct StructuredSchema: Sendable, Equatable {
    public var name: String
    public var schema: JSONValue

    public init(name: String, schema: JSONValue) {
        self.name = name
        self.schema = schema
    }
}
