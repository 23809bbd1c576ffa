#if canImport(Glibc)
import Glibc
#endif

// A closed pipe (`receivables export | head`) must end the program quietly, not kill it.
signal(SIGPIPE, SIG_IGN)
exit(run(Array(CommandLine.arguments.dropFirst())).rawValue)
