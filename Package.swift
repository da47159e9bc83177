// swift-tools-version: 6.2
import PackageDescription

/// Every target builds in Swift 6 language mode (strict concurrency) and treats
/// warnings as errors, so "no warnings" is enforced by the build itself. `FAULTS` (the
/// deliberate bugs the lockstep tests switch on to show they are found) is defined in
/// debug builds only, so release code carries neither the switches nor their branches.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .define("FAULTS", .when(configuration: .debug)),
]

let package = Package(
    name: "PoolTUI",
    // Linux first. On Apple platforms the runtime needs what Swift 6.2 brought: Task.immediate
    // (SE-0472) and InlineArray (SE-0453), both from macOS 26.
    platforms: [.macOS(.v26)],
    products: [
        .library(name: "Supervision", targets: ["Supervision"]),
        .library(name: "WorkerRegistry", targets: ["WorkerRegistry"]),
        .library(name: "SupervisionLifecycle", targets: ["SupervisionLifecycle"]),
        .library(name: "WorkerRegistryTesting", targets: ["WorkerRegistryTesting"]),
        .library(name: "SupervisionTesting", targets: ["SupervisionTesting"]),
        .library(name: "WorkerRegistryLockstep", targets: ["WorkerRegistryLockstep"]),
        .library(name: "PoolInspector", targets: ["PoolInspector"]),
        .library(name: "EtcdClient", targets: ["EtcdClient"]),
        .library(name: "WorkerRegistryEtcd", targets: ["WorkerRegistryEtcd"]),
        .library(name: "EtcdTesting", targets: ["EtcdTesting"]),

        .executable(name: "pooltui", targets: ["PoolTUI"]),
        .executable(name: "pool-bench", targets: ["PoolBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),  // Logger.current
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // `swift package generate-documentation`: the DocC catalogues (Sources/*/*.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .target(name: "CPlatform"),
        .target(
            name: "ScalableLocks",
            dependencies: ["CPlatform"],
            swiftSettings: strict
        ),
        .target(
            name: "Supervision",
            dependencies: [
                "ScalableLocks", "CPlatform",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WorkerRegistry",
            dependencies: ["Supervision", "ScalableLocks", .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .target(
            name: "SupervisionLifecycle",
            dependencies: ["Supervision", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "SupervisionTesting",
            dependencies: [
                "ScalableLocks", "Supervision",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WorkerRegistryLockstep",
            dependencies: ["ScalableLocks", "SupervisionTesting", "WorkerRegistry", "Supervision"],
            swiftSettings: strict
        ),
        .target(
            name: "WorkerRegistryTesting",
            dependencies: [
                "WorkerRegistry", "Supervision",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InspectorProtocol",
            swiftSettings: strict
        ),
        .target(
            name: "PoolInspector",
            dependencies: [
                "ScalableLocks", "Supervision", "WorkerRegistry", "InspectorProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EtcdClient",
            dependencies: [
                "ScalableLocks", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WorkerRegistryEtcd",
            dependencies: ["ScalableLocks", "EtcdClient", "WorkerRegistry", "Supervision"],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["ScalableLocks", "Supervision", "CPlatform", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "WorkerRegistryEtcdTests",
            dependencies: ["ScalableLocks", "TestSupport",
                "WorkerRegistryEtcd", "EtcdClient", "EtcdTesting", "WorkerRegistry", "WorkerRegistryTesting", "Supervision",
                "SupervisionTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EtcdTesting",
            dependencies: ["ScalableLocks", "CPlatform", "EtcdClient", "Supervision", "WorkerRegistryEtcd"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EtcdClientTests",
            dependencies: ["EtcdClient", "EtcdTesting", "TestSupport"],
            swiftSettings: strict
        ),
        .target(
            name: "PoolDashboard",
            dependencies: [
                "InspectorProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // The demo's Prometheus scrape endpoint: swift-nio and swift-prometheus, kept out
        // of every library.
        .target(
            name: "MetricsEndpoint",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MetricsEndpointTests",
            dependencies: [
                "MetricsEndpoint", "PoolDemo", "Supervision", "WorkerRegistry", "TestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PoolDemo",
            dependencies: ["Supervision", "WorkerRegistry", "PoolInspector"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PoolDashboardTests",
            dependencies: ["TestSupport", 
                "PoolDashboard", "PoolInspector", "InspectorProtocol", "Supervision", "WorkerRegistry",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // No pkgConfig: its -D flags are dropped by SwiftPM (with a warning) and the shim
        // defines what it needs; the module map links ncursesw and tinfo.
        .systemLibrary(
            name: "CNCursesW",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        // libFuzzer targets (Scripts/fuzz.sh); built plainly they replay a corpus.
        .target(name: "FuzzSupport", swiftSettings: strict),
        .executableTarget(
            name: "FuzzInspector",
            dependencies: [
                "ScalableLocks", "FuzzSupport", "PoolInspector", "InspectorProtocol", "Supervision", "WorkerRegistry",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzEtcd",
            dependencies: ["FuzzSupport", "EtcdClient"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PoolTUI",
            dependencies: [
                "ScalableLocks", "PoolDashboard", "PoolDemo", "PoolInspector", "InspectorProtocol", "Supervision", "SupervisionTesting",
                "WorkerRegistryLockstep", "WorkerRegistry", "CNCursesW", "EtcdClient", "WorkerRegistryEtcd",
                "MetricsEndpoint",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "CBenchProbes"),
        .executableTarget(
            name: "PoolBench",
            dependencies: [
                "ScalableLocks", "Supervision", "WorkerRegistry", "PoolDashboard", "PoolDemo", "PoolInspector", "InspectorProtocol", "CBenchProbes",
                "EtcdClient", "EtcdTesting", "WorkerRegistryEtcd",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WorkerRegistryTests",
            dependencies: ["ScalableLocks", "TestSupport",
                "WorkerRegistry", "WorkerRegistryTesting", "Supervision",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InspectorProtocolTests",
            dependencies: ["InspectorProtocol"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PoolInspectorTests",
            dependencies: ["ScalableLocks", "TestSupport",
                "PoolInspector", "InspectorProtocol", "Supervision", "WorkerRegistry",
                "WorkerRegistryEtcd", "EtcdClient", "EtcdTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SupervisionLifecycleTests",
            dependencies: [
                "SupervisionLifecycle", "Supervision", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SupervisionTests",
            dependencies: ["ScalableLocks", "TestSupport", "Supervision", .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: strict
        ),
        // The DocC articles' code, compiled and run (and checked line for line against
        // the articles).
        .testTarget(
            name: "DocumentationTests",
            dependencies: [
                "Supervision", "WorkerRegistry", "SupervisionLifecycle", "SupervisionTesting", "WorkerRegistryLockstep",
                "PoolInspector", "InspectorProtocol", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ScalableLocksTests",
            dependencies: ["ScalableLocks", "Supervision"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SupervisionTestingTests",
            dependencies: ["ScalableLocks", "TestSupport", "SupervisionTesting", "WorkerRegistryLockstep", "Supervision", "WorkerRegistry"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
