using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// REST requests checked against their gRPC request message before JSON transcoding reads them.
/// Transcoding skips unknown fields silently (a misspelt field would be dropped), ignores or
/// misreads some query parameters, and answers any malformed or mistyped value with one sentence
/// naming nothing (or its exception's text); here each is INVALID_ARGUMENT with a BadRequest
/// naming the field, like every other invalid request, and a body over the gRPC size limit is
/// refused before it is read.
/// </summary>
internal static class StrictJsonBodies
{
    /// <summary>The same bound as gRPC's MaxReceiveMessageSize: the largest valid request is under 10 KB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(BadRequest.Descriptor)));

    public static void UseStrictJsonBodies(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { } transcoding)
        {
            await next(context);
            return;
        }
        var request = transcoding.MethodDescriptor.InputType;
        var badRequest = new BadRequest();
        // Read from the route only for a request with a query or a body: a plain GET has neither.
        var inPath = context.Request.Query.Count == 0 && transcoding.HttpRule.Body.Length == 0
            ? [] : RestApiDocument.PathFields(RestApiDocument.Route(transcoding.HttpRule).Template);
        foreach (var (key, values) in context.Request.Query)
        {
            CheckQuery(request, key, values, transcoding.HttpRule.Body == "*", inPath, badRequest);
        }

        if (transcoding.HttpRule.Body.Length > 0)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBodyBytes;
            }
            context.Request.EnableBuffering();
            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                CheckMessage(body.RootElement, request, "", badRequest, inPath);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, new Google.Rpc.Status
                {
                    Code = (int)StatusCode.ResourceExhausted,
                    Message = $"The request body is larger than {MaxBodyBytes} bytes.",
                });
                return;
            }
            catch (JsonException ex)
            {
                badRequest.Add("body", $"is not JSON: {ex.Message}");
            }
            context.Request.Body.Position = 0;
        }

        if (badRequest.FieldViolations.Count > 0)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, badRequest.ToStatus(StatusCode.InvalidArgument));
            return;
        }
        await next(context);
    });

    /// <summary>
    /// Each field of <paramref name="message"/> once, by either of its names (transcoding would
    /// keep the last), and none of those the route gives (<paramref name="inPath"/>, at the top:
    /// transcoding would keep the path's).
    /// </summary>
    private static void CheckMessage(JsonElement json, MessageDescriptor message, string path, BadRequest badRequest, HashSet<string>? inPath = null)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            badRequest.Add(path.Length == 0 ? "body" : path, $"must be a JSON object ({message.Name})");
            return;
        }
        var given = new HashSet<int>();
        foreach (var property in json.EnumerateObject())
        {
            if (Text(property) is not { } name)
            {
                badRequest.Add(path.Length == 0 ? "body" : path, $"has a field name that {NotText}");
            }
            else if (Field(message, name) is not { } field)
            {
                badRequest.Add(Join(path, name), $"is not a field of {message.Name}");
            }
            else if (!given.Add(field.FieldNumber))
            {
                badRequest.Add(Join(path, field.Name), "is given more than once");
            }
            else if (inPath?.Contains(field.Name) == true)
            {
                badRequest.Add(field.Name, "is given in the path, not the body");
            }
            else if (property.Value.ValueKind != JsonValueKind.Null)
            {
                CheckValue(property.Value, field, Join(path, field.Name), badRequest);
            }
        }
    }

    private static void CheckValue(JsonElement json, FieldDescriptor field, string path, BadRequest badRequest)
    {
        if (field.IsRepeated && !field.IsMap)
        {
            if (json.ValueKind != JsonValueKind.Array)
            {
                badRequest.Add(path, "must be a JSON array");
                return;
            }
            foreach (var item in json.EnumerateArray())
            {
                CheckSingle(item, field, path, badRequest);
            }
            return;
        }
        CheckSingle(json, field, path, badRequest);
    }

    private static void CheckSingle(JsonElement json, FieldDescriptor field, string path, BadRequest badRequest)
    {
        var problem = field.FieldType switch
        {
            FieldType.String or FieldType.Bytes => json.ValueKind != JsonValueKind.String ? "must be a string" : Text(json) is null ? $"is a string that {NotText}" : null,
            FieldType.Bool => json.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false",
            FieldType.Enum => json.ValueKind switch
            {
                JsonValueKind.String => EnumProblem(field, Text(json) ?? ""),
                JsonValueKind.Number => json.TryGetInt32(out _) ? null : EnumProblem(field, json.GetRawText()),
                _ => EnumProblem(field, json.GetRawText()),
            },
            FieldType.Message when field.IsMap => json.ValueKind == JsonValueKind.Object ? null : "must be a JSON object",
            FieldType.Message => null,
            _ => NumberProblem(field.FieldType, json),
        };
        if (problem is not null)
        {
            badRequest.Add(path, problem);
        }
        // Well-known types (timestamps, wrappers) have JSON forms of their own; transcoding checks them.
        else if (field.FieldType == FieldType.Message && !field.IsMap && field.MessageType.File.Package != "google.protobuf")
        {
            CheckMessage(json, field.MessageType, path, badRequest);
        }
    }

    /// <summary>
    /// A query parameter names a field (a dotted path for nested ones) once, holds a value of its
    /// type, and is read at all: transcoding ignores the query of a request whose body is the
    /// whole message, and lets a field's JSON name override the path's value of it.
    /// </summary>
    private static void CheckQuery(MessageDescriptor message, string key, StringValues values, bool wholeBody, HashSet<string> inPath, BadRequest badRequest)
    {
        FieldDescriptor? field = null;
        var path = "";
        foreach (var part in key.Split('.'))
        {
            if (field is not null && field.FieldType != FieldType.Message)
            {
                badRequest.Add(path, "has no fields: it is not a message");
                return;
            }
            field = Field(message, part);
            if (field is null)
            {
                badRequest.Add(Join(path, part), $"is not a field of {message.Name}");
                return;
            }
            path = Join(path, field.Name);
            if (field.FieldType == FieldType.Message)
            {
                message = field.MessageType;
            }
        }
        var problem = field!.FieldType switch
        {
            _ when inPath.Contains(path) => "is given in the path, not the query",
            _ when wholeBody => "goes in the JSON body, not the query",
            _ when values.Count > 1 && !field.IsRepeated => "must be given once",
            FieldType.String or FieldType.Bytes or FieldType.Bool or FieldType.Message => null,
            FieldType.Enum => values.Select(v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : EnumProblem(field, v!)).FirstOrDefault(p => p is not null),
            _ => values.Select(v => NumberProblem(field.FieldType, v!)).FirstOrDefault(p => p is not null),
        };
        if (problem is not null)
        {
            badRequest.Add(path, problem);
        }
    }

    /// <summary>An enum's value by name, or a whole number (proto3 keeps unknown numbers; crud's checks refuse them).</summary>
    private static string? EnumProblem(FieldDescriptor field, string name) =>
        field.EnumType.FindValueByName(name) is null ? $"must be one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}" : null;

    /// <summary>
    /// What transcoding reads into a number field: a whole number in the field's range for an
    /// integer (a 64-bit one may come as a JSON string, a 32-bit one may not), any number for a
    /// float. It refuses the rest with a sentence naming no field, or its exception's text.
    /// </summary>
    private static string? NumberProblem(FieldType type, JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Number => IsInteger(type) ? NumberProblem(type, json.GetRawText()) : null,
        JsonValueKind.String when !IsInteger(type) || Is64Bit(type) => NumberProblem(type, Text(json) ?? ""),
        JsonValueKind.String => $"{NumberProblem(type, "")}, not a string",
        _ => NumberProblem(type, ""),
    };

    private static string? NumberProblem(FieldType type, string text) => type switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 when int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => null,
        FieldType.UInt32 or FieldType.Fixed32 when uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) => null,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => null,
        FieldType.UInt64 or FieldType.Fixed64 when ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) => null,
        FieldType.Double or FieldType.Float when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => null,
        FieldType.Double or FieldType.Float => "must be a number",
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => $"must be a whole number from {int.MinValue} to {int.MaxValue}",
        FieldType.UInt32 or FieldType.Fixed32 => $"must be a whole number from 0 to {uint.MaxValue}",
        _ => "must be a whole number",
    };

    private static bool IsInteger(FieldType type) => type is not (FieldType.Double or FieldType.Float);

    private static bool Is64Bit(FieldType type) => type is FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64;

    private const string NotText = "is not Unicode text: it holds a lone surrogate (as \\ud800), which no protobuf string can";

    private static string? Text(JsonElement json) => Text(json.GetString);

    private static string? Text(JsonProperty property) => Text(() => property.Name);

    /// <summary>A JSON string's text; null when its escapes make a lone surrogate, which System.Text.Json parses but will not read.</summary>
    private static string? Text(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Proto3 JSON names a field in lowerCamelCase or by its proto name.</summary>
    private static FieldDescriptor? Field(MessageDescriptor message, string name) =>
        message.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == name || f.Name == name);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static async Task WriteAsync(HttpContext context, int status, Google.Rpc.Status error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Formatter.Format(error), context.RequestAborted);
    }
}
