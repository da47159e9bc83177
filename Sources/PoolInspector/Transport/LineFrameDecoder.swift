import InspectorProtocol
import NIOCore

/// Splits a connection's bytes into protocol lines (``LineFramer``) for the channel
/// pipeline: at most ``InspectorWire/maxLineBytes`` are ever held for one line.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFramer.Frame

    private var framer = LineFramer()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var frames: [LineFramer.Frame] = []
        buffer.withUnsafeReadableBytes { bytes in
            framer.append(bytes) { frames.append($0) }
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        for frame in frames { context.fireChannelRead(wrapInboundOut(frame)) }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        return .needMoreData
    }
}
