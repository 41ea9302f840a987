// swift-tools-version:6.0
// A load-generating client for the server's realtime WebSocket API (GET /api/realtime).
// Built on its own, beside the server: swift build -c release --package-path Benchmarks/RealtimeBench
import PackageDescription

let package = Package(
    name: "RealtimeBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "realtime-bench", targets: ["RealtimeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "RealtimeBench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
    ]
)
