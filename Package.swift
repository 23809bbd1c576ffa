// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Receivables",
    products: [
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Receivables", targets: ["Receivables"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Reminders", targets: ["Reminders"]),
        .executable(name: "receivables", targets: ["ReceivablesCLI"]),
        .executable(name: "receivables-bench", targets: ["receivables-bench"]),
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
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .target(name: "EventLog", dependencies: ["CLMDB", "CCrypto"]),
        .target(name: "Receivables", dependencies: ["EventLog"]),
        .target(name: "Reports", dependencies: ["Receivables"]),
        .target(name: "Reminders", dependencies: ["EventLog", "Receivables", "CCurl", "CCurlShim"]),
        .executableTarget(name: "ReceivablesCLI", dependencies: ["EventLog", "Receivables", "Reports", "Reminders"]),
        .executableTarget(name: "receivables-robustness", dependencies: ["EventLog", "Receivables"], path: "tools/robustness"),
        .executableTarget(name: "receivables-fuzz", dependencies: ["EventLog", "Receivables"], path: "tools/fuzz"),
        .executableTarget(name: "receivables-bench", dependencies: ["EventLog", "Receivables", "CLMDB", "CSQLite"], path: "tools/bench"),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog"]),
        .testTarget(name: "ReceivablesTests", dependencies: ["Receivables"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "RemindersTests", dependencies: ["Reminders"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["EventLog", "Receivables"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
