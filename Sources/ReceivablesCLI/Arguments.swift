import Receivables

/// Our own argument parsing: commands with options and positionals, global options allowed
/// anywhere, `--name value` and `--name=value`, "did you mean" for misspellings.

struct OptionSpec {
    var name: String
    /// The placeholder for the option's value; nil for a flag.
    var valueName: String?
    var help: String
    var isFlag: Bool { valueName == nil }
}

struct PositionalSpec {
    var name: String
    var help: String
    var isRequired = true
    var isRepeated = false
}

struct CommandSpec {
    var name: String
    var summary: String
    var positionals: [PositionalSpec] = []
    var options: [OptionSpec] = []
    var discussion: String?

    var usageLine: String {
        var parts = ["receivables", name]
        for positional in positionals {
            var text = positional.name + (positional.isRepeated ? "..." : "")
            if !positional.isRequired { text = "[" + text + "]" }
            parts.append(text)
        }
        if !options.isEmpty { parts.append("[options]") }
        return parts.joined(separator: " ")
    }

    func help(globalOptions: [OptionSpec]) -> String {
        var lines = ["usage: \(usageLine)", "", summary]
        if let discussion { lines += ["", discussion] }
        if !positionals.isEmpty {
            lines += ["", "arguments:"]
            for positional in positionals { lines.append(Self.row(positional.name, positional.help)) }
        }
        if !options.isEmpty {
            lines += ["", "options:"]
            for option in options { lines.append(Self.row(Self.label(option), option.help)) }
        }
        lines += ["", "global options:"]
        for option in globalOptions { lines.append(Self.row(Self.label(option), option.help)) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func label(_ option: OptionSpec) -> String {
        option.valueName.map { "\(option.name) \($0)" } ?? option.name
    }

    static func row(_ label: String, _ help: String) -> String {
        let padded = label.count < 26 ? label + String(repeating: " ", count: 26 - label.count) : label + "  "
        return "  " + padded + help
    }
}

struct UsageError: Error, CustomStringConvertible {
    var message: String
    /// The command whose usage to point at, when known.
    var command: String?
    var description: String { message }
}

/// The words of one invocation, sorted into command, options and positionals.
struct ParsedArguments {
    var command: CommandSpec
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var wantsHelp = false

    func value(_ name: String) -> String? { values[name] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

struct ArgumentParser {
    var commands: [CommandSpec]
    var globalOptions: [OptionSpec]

    /// Sorts `arguments` (without the program name). A bare `--help` or no command at all gives
    /// a nil command, meaning: print the overview.
    func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments? {
        var commandName: String?
        var words: [String] = []
        var index = 0
        var sawHelp = false
        // First find the command: the first word that is not an option or a global option's value.
        while index < arguments.count {
            let word = arguments[index]
            if word == "--help" || word == "-h" || word == "help" && commandName == nil {
                sawHelp = true
                index += 1
                continue
            }
            if commandName == nil && !word.hasPrefix("-") {
                commandName = word
                index += 1
                continue
            }
            if commandName == nil, let global = globalOptions.first(where: { word == $0.name || word.hasPrefix($0.name + "=") }), !global.isFlag, !word.contains("=") {
                words.append(word)
                if index + 1 < arguments.count { words.append(arguments[index + 1]) }
                index += 2
                continue
            }
            words.append(word)
            index += 1
        }
        guard let commandName else {
            if sawHelp || arguments.isEmpty { return nil }
            throw UsageError(message: "no command given; run `receivables --help` for the list")
        }
        guard let command = commands.first(where: { $0.name == commandName }) else {
            var message = "unknown command '\(commandName)'"
            if let suggestion = Suggestion.closest(to: commandName, among: commands.map(\.name)) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; run `receivables --help` for the list"
            }
            throw UsageError(message: message)
        }
        var parsed = ParsedArguments(command: command)
        parsed.wantsHelp = sawHelp
        let known = command.options + globalOptions
        var onlyPositionals = false
        index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if onlyPositionals || word == "-" || !word.hasPrefix("-") {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            if word == "--help" || word == "-h" { parsed.wantsHelp = true; continue }
            var name = word
            var inlineValue: String?
            if let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            guard let option = known.first(where: { $0.name == name }) else {
                var message = "unknown option '\(name)' for '\(command.name)'"
                if let suggestion = Suggestion.closest(to: name, among: known.map(\.name)) {
                    message += "; did you mean '\(suggestion)'?"
                }
                throw UsageError(message: message, command: command.name)
            }
            if option.isFlag {
                if inlineValue != nil { throw UsageError(message: "\(name) takes no value", command: command.name) }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < words.count else {
                    throw UsageError(message: "\(name) needs a value (\(option.valueName ?? "VALUE"))", command: command.name)
                }
                value = words[index]
                index += 1
            }
            if parsed.values[name] != nil {
                throw UsageError(message: "\(name) is given twice", command: command.name)
            }
            parsed.values[name] = value
        }
        if parsed.wantsHelp { return parsed }
        let required = command.positionals.filter(\.isRequired).count
        let repeated = command.positionals.contains(where: \.isRepeated)
        if parsed.positionals.count < required {
            let missing = command.positionals.filter(\.isRequired)[parsed.positionals.count]
            throw UsageError(message: "missing \(missing.name): \(missing.help)", command: command.name)
        }
        if !repeated && parsed.positionals.count > command.positionals.count {
            throw UsageError(message: "unexpected argument '\(parsed.positionals[command.positionals.count])'", command: command.name)
        }
        return parsed
    }

    func overview() -> String {
        var lines = ["usage: receivables COMMAND [options]", "",
                     "Keeps a company's customer receivables in an event-sourced, hash-chained store.", "",
                     "commands:"]
        for command in commands { lines.append(CommandSpec.row(command.name, command.summary)) }
        lines += ["", "global options:"]
        for option in globalOptions { lines.append(CommandSpec.row(CommandSpec.label(option), option.help)) }
        lines += ["", "Run `receivables COMMAND --help` for a command's options."]
        return lines.joined(separator: "\n") + "\n"
    }
}

