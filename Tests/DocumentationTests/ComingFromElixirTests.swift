import Supervision
import Testing
import TestSupport
import WorkerRegistry

/// The code of the "Coming from Elixir" article, run.
@Suite("Article: Coming from Elixir", .timeLimit(.minutes(Slowdown.scaled(1))))
struct ComingFromElixirTests {
    struct Room: GenServer {
        enum Request: Sendable { case occupants }
        typealias Reply = [String]
        var name: String
        static func initialize(_ name: String) async throws -> InitResult<Room> { .ok(Room(name: name)) }
        mutating func handleCall(_ request: Request, from caller: Caller<[String]>) async throws -> CallResult<[String]> {
            .reply([name])
        }
    }

    @Test("a via name: start under it, call through it; a second start under it is refused with the holder")
    func via() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let rooms = Registry<String, Void>(keys: .unique, name: "rooms")
            let lobby = try await Room.start("lobby", name: rooms.via("lobby"))
            let occupants = try await ServerRef<Room>(name: rooms.via("lobby")).call(.occupants)
            #expect(occupants == ["lobby"])
            #expect(rooms.whereis("lobby") == lobby.pid)
            await #expect(throws: StartError.alreadyStarted(lobby.pid!)) {
                try await Room.start("again", name: rooms.via("lobby"))
            }
        }
    }
}
