using Google.Protobuf.WellKnownTypes;
using Google.Rpc;

namespace Grpc.Core;

/// <summary>
/// Bad input as every Polyglot API reports it, over gRPC and REST alike: the status names each bad
/// field once ("Invalid request: name, version."), and a google.rpc.BadRequest detail says what is
/// wrong with each.
/// </summary>
public static class BadRequests
{
    public static void Add(this BadRequest badRequest, string field, string description) =>
        badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });

    public static Google.Rpc.Status ToStatus(this BadRequest badRequest, StatusCode code) => new()
    {
        Code = (int)code,
        Message = $"Invalid request: {string.Join(", ", badRequest.FieldViolations.Select(v => v.Field).Distinct())}.",
        Details = { Any.Pack(badRequest) },
    };
}
