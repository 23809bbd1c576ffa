import Foundation
import XCTest

/// Runs the built `receivables` executable the way a person or a script would, in a temporary
/// directory, and hands back what it printed and how it exited.
struct CommandResult {
    var exitCode: Int32
    var standardOutput: String
    var standardError: String

    /// The standard output parsed as one JSON value (fails the test when it is not JSON).
    func json(file: StaticString = #filePath, line: UInt = #line) -> Any? {
        guard let data = standardOutput.data(using: .utf8),
              let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            XCTFail("not JSON: \(standardOutput)\nstderr: \(standardError)", file: file, line: line)
            return nil
        }
        return value
    }

    var jsonObject: [String: Any] { (json() as? [String: Any]) ?? [:] }
}

final class CommandHarness {
    /// A fresh directory for this harness, removed when it goes away.
    let directory: URL
    /// The store every call uses unless it names another.
    var storePath: String { directory.appendingPathComponent("store").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("receivables-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The built executable: next to the test bundle, as SwiftPM lays out its build folder.
    static let executable: URL = {
        if let override = ProcessInfo.processInfo.environment["RECEIVABLES_EXECUTABLE"] {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("receivables"))
        candidates.append(testBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("receivables"))
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("receivables"))
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/receivables"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    /// The package's root folder, for reading `Fixtures/`.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/fixtures` beside the checkout, when it is there.
    static var sharedFixtures: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Runs `receivables ARGUMENTS` with `--store` set to this harness's store (unless the
    /// arguments name one), feeding `input` on standard input.
    @discardableResult
    func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:],
             useStore: Bool = true) throws -> CommandResult {
        var all = arguments
        if useStore && !arguments.contains("--store") { all += ["--store", storePath] }
        return try Self.runExecutable(Self.executable, arguments: all, input: input.map { Data($0.utf8) },
                                      environment: environment, workingDirectory: directory)
    }

    static func runExecutable(_ executable: URL, arguments: [String], input: Data? = nil,
                              environment: [String: String] = [:], workingDirectory: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RECEIVABLES_STORE")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let output = Pipe(), error = Pipe(), standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        // Read both pipes on their own threads so that a large output cannot fill one and stall.
        let group = DispatchGroup()
        nonisolated(unsafe) var outputData = Data(), errorData = Data()
        DispatchQueue.global().async(group: group) { outputData = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errorData = error.fileHandleForReading.readDataToEndOfFile() }
        if let input { standardInput.fileHandleForWriting.write(input) }
        try? standardInput.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return CommandResult(exitCode: process.terminationStatus,
                             standardOutput: String(decoding: outputData, as: UTF8.self),
                             standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// Writes `text` to a file in the harness directory and answers its path.
    func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}

extension XCTestCase {
    /// Asserts an exit code, showing what the command printed when it differs.
    func assertExit(_ result: CommandResult, _ expected: Int32, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.exitCode, expected,
                       "stdout: \(result.standardOutput)\nstderr: \(result.standardError)", file: file, line: line)
    }
}
