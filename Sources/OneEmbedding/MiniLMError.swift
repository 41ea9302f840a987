/// Why the all-MiniLM-L6-v2 model could not be loaded.
///
/// Every case names the file or tensor involved so the message can be shown to
/// an operator as-is; `description` says what to do about it where there is
/// something to do.
public enum MiniLMError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A required model file is absent from the model directory.
    case fileNotFound(file: String, directory: String)
    /// A model file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// `model.safetensors` is not a well-formed safetensors file.
    case malformedSafeTensors(path: String, reason: String)
    /// The weights file lacks a tensor the model needs.
    case missingTensor(name: String, path: String)
    /// A tensor has an unsupported dtype or an unexpected shape.
    case invalidTensor(name: String, reason: String)
    /// `vocab.txt` is unusable, e.g. it lacks a special token.
    case malformedVocabulary(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file, let directory):
            "\(file) not found in \(directory); run `one models pull`"
        case .unreadableFile(let path, let reason):
            "cannot read \(path): \(reason)"
        case .malformedSafeTensors(let path, let reason):
            "\(path) is not a valid safetensors file: \(reason); run `one models pull` to fetch it again"
        case .missingTensor(let name, let path):
            "tensor \(name) is missing from \(path); is this the all-MiniLM-L6-v2 model?"
        case .invalidTensor(let name, let reason):
            "tensor \(name) is invalid: \(reason); is this the all-MiniLM-L6-v2 model?"
        case .malformedVocabulary(let path, let reason):
            "\(path) is not a valid WordPiece vocabulary: \(reason)"
        }
    }
}
