import Supervision
import WorkerRegistry

/// The demo's worker: one phone line, keyed by its number. It counts the calls it
/// carried, subscribes to its region's announcements (a duplicate registry), crashes
/// when told to (the load generator tells a few), and describes its state to the
/// dashboard.
package struct PhoneLine: GenServer {
    /// What a line starts with.
    package struct Arguments: Sendable {
        /// The line's phone number (its id).
        package var number: String
        /// The line's plan (`pro · region us`); its last word names the region it subscribes to.
        package var plan: String
        /// Where it subscribes to its region's topic, if anywhere.
        package var topics: Registry<String, String>?

        /// Creates arguments with the given fields; by default the line subscribes nowhere.
        package init(number: String, plan: String, topics: Registry<String, String>? = nil) {
            self.number = number
            self.plan = plan
            self.topics = topics
        }
    }

    /// What a line answers: `ping` replies 1; `calls`, the number of calls it has carried.
    package enum Request: Sendable { case ping, calls }
    /// A line's answers are numbers.
    package typealias Reply = Int
    /// What a line is told without waiting for an answer.
    package enum Cast: Sendable {
        /// Carry one call.
        case call
        /// Crash with an error (to watch a restart).
        case crash
    }

    /// The error a line crashes with when told to.
    package struct Crash: Error, CustomStringConvertible {
        /// The number of the line that crashed.
        package var number: String
        /// `line NUMBER failed`.
        package var description: String { "line \(number) failed" }
    }

    let number: String
    let plan: String
    var calls = 0

    /// Starts a line with no calls carried; with `topics`, it first registers its number under its
    /// region (a failure to register is ignored).
    package static func initialize(_ arguments: Arguments) async throws -> InitResult<PhoneLine> {
        if let topics = arguments.topics {
            try? topics.register(DemoOptions.region(of: arguments.plan), value: arguments.number)
        }
        return .ok(PhoneLine(number: arguments.number, plan: arguments.plan))
    }

    /// Answers a ``Request``.
    package mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        switch request {
        case .ping: return .reply(1)
        case .calls: return .reply(calls)
        }
    }

    /// Counts a call, or throws ``Crash`` for `crash`.
    package mutating func handleCast(_ message: Cast) async throws -> HandleResult {
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
    /// Three lines: the number, the plan and the calls carried.
    package func describeState() -> String {
        "line \(number)\nplan \(plan)\ncalls carried \(calls)"
    }
}

/// The demo's second kind of worker: a conference room, keyed by its number (an `Int`),
/// holding who is in it.
package struct ConferenceRoom: GenServer {
    /// A room starts with its number.
    package typealias Arguments = Int
    /// `join(who)`: someone comes in (the room keeps the last 8); `leave`: the one in longest leaves.
    package enum Cast: Sendable { case join(String), leave }

    let number: Int
    var people: [String] = []

    /// Starts room `number`, empty.
    package static func initialize(_ number: Int) async throws -> InitResult<ConferenceRoom> {
        .ok(ConferenceRoom(number: number))
    }

    /// Lets someone in or out; never fails.
    package mutating func handleCast(_ message: Cast) async throws -> HandleResult {
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
    /// `room N: ` and who is in it, or `room N: empty`.
    package func describeState() -> String {
        people.isEmpty ? "room \(number): empty" : "room \(number): " + people.joined(separator: ", ")
    }
}
