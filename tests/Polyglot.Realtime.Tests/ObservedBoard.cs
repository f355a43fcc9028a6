using Board = Polyglot.Contracts.Boards.V1.Board;

namespace Polyglot.Realtime.Tests;

/// <summary>A board, a gRPC subscriber of its channel, and the position of its creation event. Dispose to unsubscribe.</summary>
public sealed record ObservedBoard(Board Board, AsyncServerStreamingCall<SubscribeResponse> Observer, long Created) : IDisposable
{
    public string Channel => ChannelOf(Board);

    public static string ChannelOf(Board board) => $"board:{board.Id}";

    public void Dispose() => Observer.Dispose();
}
