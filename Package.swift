// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Receivables",
    products: [
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Receivables", targets: ["Receivables"]),
        .executable(name: "receivables", targets: ["ReceivablesCLI"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "EventLog", dependencies: ["CLMDB", "CCrypto"]),
        .target(name: "Receivables", dependencies: ["EventLog"]),
        .executableTarget(name: "ReceivablesCLI", dependencies: ["EventLog", "Receivables"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog"]),
        .testTarget(name: "ReceivablesTests", dependencies: ["Receivables"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["EventLog", "Receivables"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
