import Supervision

/// The demo's worker: one phone line, keyed by its number. It answers pings, counts
/// the calls it carried, and crashes when told to (the load generator tells a few).
public struct PhoneLine: GenServer {
    public struct Arguments: Sendable {
        public var number: String
        public var plan: String

        public init(number: String, plan: String) {
            self.number = number
            self.plan = plan
        }
    }

    public enum Request: Sendable { case ping, calls }
    public typealias Reply = Int
    public enum Message: Sendable {
        /// Carry one call.
        case call
        /// Crash with an error (to watch a restart).
        case crash
    }

    public struct Crash: Error, CustomStringConvertible {
        public var number: String
        public var description: String { "line \(number) failed" }
    }

    let number: String
    var calls = 0

    public static func initialize(_ arguments: Arguments) async throws -> InitResult<PhoneLine> {
        .ok(PhoneLine(number: arguments.number))
    }

    public mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        switch request {
        case .ping: return .reply(1)
        case .calls: return .reply(calls)
        }
    }

    public mutating func handleCast(_ message: Message) async throws -> HandleResult {
        switch message {
        case .call:
            calls += 1
            return .noreply
        case .crash:
            throw Crash(number: number)
        }
    }
}
