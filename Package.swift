// swift-tools-version:6.0
import PackageDescription

/// One set of settings for every target: Swift 6 language mode with strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "longan-portal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "intake", targets: ["Intake"]),
        .executable(name: "approval", targets: ["Approval"]),
        .executable(name: "publishing", targets: ["Publishing"]),
        .executable(name: "feedback", targets: ["Feedback"]),
        .executable(name: "finance", targets: ["Finance"]),
        .executable(name: "portalctl", targets: ["PortalCtl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV.git", from: "0.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries, reached through pkg-config.
        .systemLibrary(
            name: "CLibPQ", path: "Shared/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCmarkGFM", path: "Shared/CCmarkGFM", pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2", path: "Shared/CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CGMime", path: "Shared/CGMime", pkgConfig: "gmime-3.0",
            providers: [.apt(["libgmime-3.0-dev"])]
        ),
        .systemLibrary(
            name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CXlsxWriter", path: "Shared/CXlsxWriter", pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        .systemLibrary(
            name: "CVips", path: "Shared/CVips", pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        .systemLibrary(
            name: "CRabbitMQ", path: "Shared/CRabbitMQ", pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        // Shared modules. Dependencies point one way: Models <- Store, MessageBus <- ServiceKit <- services.
        .target(
            name: "Models",
            dependencies: [],
            path: "Shared/Models",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ContentSafety",
            dependencies: ["CLibXML2", "CCmarkGFM"],
            path: "Shared/ContentSafety",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Images",
            dependencies: ["CVips"],
            path: "Shared/Images",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Store",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "CLibPQ", "Models", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/Store",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MessageBus",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "CRabbitMQ", "Models",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/MessageBus",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Mail",
            dependencies: [
                "CGMime", "CCurl", "ContentSafety", "Models", "Store",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/Mail",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "ContentSafety", "Models", "Store", "MessageBus", "Mail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Shared/ServiceKit",
            swiftSettings: swiftSettings
        ),

        // The five services and the operator's CLI.
        .executableTarget(
            name: "Intake",
            dependencies: [
                "ServiceKit", "ContentSafety", "Mail", "Images",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Services/Intake", resources: [.copy("Templates")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Approval",
            dependencies: [
                "ServiceKit", "ContentSafety", "Mail", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Services/Approval", resources: [.copy("Console/Templates")], swiftSettings: swiftSettings),
        // Publishing's rendering, files and site registry: the service runs it on events, and
        // `portalctl publish rebuild` runs the same code over everything published.
        .target(
            name: "PublishingCore",
            dependencies: [
                "ServiceKit", "ContentSafety", "Images", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Services/Publishing/Core", resources: [.copy("Templates")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Publishing", dependencies: ["PublishingCore", "ServiceKit"], path: "Services/Publishing/Service",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "Feedback",
            dependencies: [
                "ServiceKit", "ContentSafety", "Mail", "CXlsxWriter", "Images", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Services/Feedback", resources: [.copy("Templates")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Finance",
            dependencies: ["ServiceKit", "CXlsxWriter", .product(name: "Mustache", package: "swift-mustache")],
            path: "Services/Finance", resources: [.copy("Templates")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "PortalCtl",
            dependencies: [
                "ServiceKit", "Mail", "PublishingCore", "Images",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            path: "Services/PortalCtl",
            swiftSettings: swiftSettings
        ),

        // Tests: pure ones need no server; IntegrationTests use the PostgreSQL and RabbitMQ that deploy/test starts.
        .testTarget(name: "ModelsTests", dependencies: ["Models"], path: "Tests/ModelsTests", swiftSettings: swiftSettings),
        .testTarget(name: "ContentSafetyTests", dependencies: ["ContentSafety"], path: "Tests/ContentSafetyTests", swiftSettings: swiftSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store"], path: "Tests/StoreTests", swiftSettings: swiftSettings),
        .testTarget(name: "MailTests", dependencies: ["Mail"], path: "Tests/MailTests", swiftSettings: swiftSettings),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "IntakeTests", dependencies: ["Intake", "Mail", "ServiceKit", "TestSupport"], path: "Tests/IntakeTests",
            swiftSettings: swiftSettings),
        .testTarget(name: "MessageBusTests", dependencies: ["MessageBus"], path: "Tests/MessageBusTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "Models", "Store", "MessageBus", "ServiceKit", "Mail", "TestSupport", "Approval", "PublishingCore", "Images",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/IntegrationTests",
            swiftSettings: swiftSettings
        ),
    ]
)
