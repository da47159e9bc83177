import Supervision
import WorkerRegistry

/// The demo's worker: one phone line, keyed by its number. It counts the calls it
/// carried, subscribes to its region's announcements (a duplicate registry), crashes
/// when told to (the load generator tells a few), and describes its state to the
/// dashboard.
public struct PhoneLine: GenServer {
    public struct Arguments: Sendable {
        public var number: String
        public var plan: String
        /// Where it subscribes to its region's topic, if anywhere.
        public var topics: Registry<String, String>?

        public init(number: String, plan: String, topics: Registry<String, String>? = nil) {
            self.number = number
            self.plan = plan
            self.topics = topics
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
    let plan: String
    var calls = 0

    public static func initialize(_ arguments: Arguments) async throws -> InitResult<PhoneLine> {
        if let topics = arguments.topics {
            try? topics.register(DemoOptions.region(of: arguments.plan), value: arguments.number)
        }
        return .ok(PhoneLine(number: arguments.number, plan: arguments.plan))
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

extension PhoneLine: StateDescribing {
    public func describeState() -> String {
        "line \(number)\nplan \(plan)\ncalls carried \(calls)"
    }
}

/// The demo's second kind of worker: a conference room, keyed by its number (an `Int`),
/// holding who is in it.
public struct ConferenceRoom: GenServer {
    public typealias Arguments = Int
    public enum Message: Sendable { case join(String), leave }

    let number: Int
    var people: [String] = []

    public static func initialize(_ number: Int) async throws -> InitResult<ConferenceRoom> {
        .ok(ConferenceRoom(number: number))
    }

    public mutating func handleCast(_ message: Message) async throws -> HandleResult {
        switch message {
        case .join(let who):
            people.append(who)
            if people.count > 8 { people.removeFirst() }
        case .leave:
            if !people.isEmpty { people.removeFirst() }
        }
        return .noreply
    }
}

extension ConferenceRoom: StateDescribing {
    public func describeState() -> String {
        people.isEmpty ? "room \(number): empty" : "room \(number): " + people.joined(separator: ", ")
    }
}
