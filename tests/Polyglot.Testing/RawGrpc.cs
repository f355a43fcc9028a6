using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Polyglot.Testing;

/// <summary>
/// gRPC calls written by hand on HTTP/2, for what a well-behaved client never sends: broken
/// protobuf, lying frame lengths, oversized messages, wrong content types.
/// </summary>
public static class RawGrpc
{
    public sealed record Reply(HttpStatusCode HttpStatus, int? GrpcStatus, string GrpcMessage, string Body);

    /// <summary>Frames <paramref name="message"/> as one gRPC message: uncompressed flag, big-endian length, bytes.</summary>
    public static byte[] Frame(byte[] message, int? claimedLength = null)
    {
        var framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), claimedLength ?? message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    /// <param name="accessToken">Sent as <c>authorization: Bearer</c>; none when null.</param>
    public static async Task<Reply> CallAsync(Uri address, string path, byte[] body, string contentType = "application/grpc", string? accessToken = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler()) { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        string? Header(string name) =>
            (response.TrailingHeaders.TryGetValues(name, out var values) || response.Headers.TryGetValues(name, out values)) ? values.First() : null;
        return new Reply(response.StatusCode, int.TryParse(Header("grpc-status"), out var status) ? status : null,
            Uri.UnescapeDataString(Header("grpc-message") ?? ""), text);
    }
}
