extension OneService {
    static let maxChatMessage = 8_000
    /// Earlier messages of a conversation sent with a new one.
    static let chatHistory = 20

    /// Answers a message in a conversation, which is stored as a `conversation` thing with its
    /// `message` things `part_of` it: the user's message and the reply, written together.
    public func chat(_ input: ChatRequest, in scope: Scope) async throws -> ChatResult {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        try AccessPolicy.require(scope.principal, .create, .things)
        try AccessPolicy.require(scope.principal, .create, .connections)
        let message = try Validate.text(input.message, field: "message", maxLength: Self.maxChatMessage)
        let limit = try Self.contextLimit(input.limit)
        var history: [ChatMessage] = []
        if let conversationId = input.conversationId {
            let conversation = try await existingThing(conversationId, in: scope, field: "conversationId")
            guard conversation.type == "conversation", conversation.deletedAt == nil else {
                throw OneError(.notFound, "conversation not found", field: "conversationId")
            }
            history = try await messages(of: conversationId, in: scope)
        }
        // Admitted before retrieval, whose query embedding may already be paid for.
        try await admitAIUse(Chunker.estimatedTokens(message), in: scope)
        let sources = input.context ?? true ? try await retrieve(message, limit: limit, in: scope) : []
        let request = GenerationRequest(
            system: Self.instructions(nil, sources: sources), messages: history + [ChatMessage(role: .user, content: message)],
            sources: sources.map(Passage.init))
        let generation = try await generator.generate(request)

        return try await atomically {
            var conversationId = input.conversationId ?? ""
            if input.conversationId == nil {
                conversationId = try await self.createThing(
                    NewThing(type: "conversation", name: String(message.prefix(80)), properties: ["model": .string(generation.model)]),
                    in: scope
                ).id
            }
            let asked = try await self.createThing(
                NewThing(type: "message", name: "user", properties: ["role": "user", "content": .string(message)]), in: scope)
            let reply = try await self.createThing(
                NewThing(type: "message", name: "assistant", properties: [
                    "role": "assistant", "content": .string(generation.text), "model": .string(generation.model),
                    "sources": .array(sources.map { .string($0.id) }),
                ]), in: scope)
            for id in [asked.id, reply.id] {
                _ = try await self.createConnection(NewConnection(fromId: id, toId: conversationId, type: "part_of"), in: scope)
            }
            try await self.recordAIUse(
                "ai_response_generated", tokens: generation.usage.total, model: generation.model,
                metadata: ["conversationId": .string(conversationId), "sources": .integer(Int64(sources.count))], in: scope)
            return ChatResult(
                conversationId: conversationId, messageId: asked.id, replyId: reply.id, reply: generation.text,
                model: generation.model, tokens: generation.usage.total, sources: sources)
        }
    }

    /// The conversation's last messages, oldest first.
    private func messages(of conversationId: String, in scope: Scope) async throws -> [ChatMessage] {
        let links = try await store.connections(
            ConnectionQuery(groupId: scope.groupId, toId: conversationId, type: "part_of"), page: PageRequest(limit: Self.chatHistory))
        let things = try await store.liveThings(ids: links.items.map(\.fromId), groupId: scope.groupId)
        return things.filter { $0.type == "message" }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.compactMap { thing in
            let properties = thing.properties.objectValue
            guard let role = properties?["role"]?.stringValue.flatMap(ChatMessage.Role.init(rawValue:)),
                let content = properties?["content"]?.stringValue
            else { return nil }
            return ChatMessage(role: role, content: content)
        }
    }

    /// Finds the entities in a text and records each as an `entity` thing, connected from the
    /// source thing when one is named.
    public func extract(_ input: ExtractRequest, in scope: Scope) async throws -> ExtractResult {
        try AccessPolicy.require(scope.principal, .create, .things)
        let text = try Validate.text(input.text, field: "text", maxLength: Self.maxPromptLength)
        let types = try Validate.texts(input.types ?? EntityExtraction.defaultTypes, field: "types", maxCount: 20, maxLength: 64)
        guard !types.isEmpty else { throw OneError.validation("types", "types must hold from 1 to 20 entity types") }
        if let source = input.sourceThingId {
            try AccessPolicy.require(scope.principal, .create, .connections)
            _ = try await existingThing(source, in: scope, field: "sourceThingId")
        }
        try await admitAIUse(Chunker.estimatedTokens(text) * 2, in: scope)
        let request = GenerationRequest(
            system: "Extract the named entities of the text: each with its name, its type, and a one-sentence description from the text.",
            messages: [ChatMessage(role: .user, content: text)], maxTokens: 2048)
        let (object, usage) = try await generator.generateObject(request, schema: EntityExtraction.schema(types: types))
        let entities = Array(EntityExtraction.entities(in: object, types: types).prefix(100))

        return try await atomically {
            var things: [Thing] = []
            var connections: [Connection] = []
            for entity in entities {
                let thing = try await self.createThing(
                    NewThing(type: "entity", name: entity.name, properties: [
                        "entityType": .string(entity.type), "description": .string(entity.description),
                    ]), in: scope)
                things.append(thing)
                if let source = input.sourceThingId {
                    connections.append(try await self.createConnection(
                        NewConnection(fromId: source, toId: thing.id, type: "references"), in: scope))
                }
            }
            try await self.recordAIUse(
                "entities_extracted", tokens: usage.total, model: self.generator.model,
                metadata: ["entities": .integer(Int64(things.count))], in: scope)
            return ExtractResult(entities: things, connections: connections, model: self.generator.model, tokens: usage.total)
        }
    }
}
