using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Features;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// REST requests checked against their gRPC request message before JSON transcoding reads them.
/// Transcoding skips unknown fields silently (a misspelt field would be dropped) and answers any
/// malformed or mistyped body with one sentence naming nothing; here each is INVALID_ARGUMENT
/// with a BadRequest naming the field, like every other invalid request, and a body over the
/// gRPC size limit is refused before it is read.
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
        foreach (var (key, values) in context.Request.Query)
        {
            CheckQuery(request, key, values.ToString(), badRequest);
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
                CheckMessage(body.RootElement, request, "", badRequest);
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

    private static void CheckMessage(JsonElement json, MessageDescriptor message, string path, BadRequest badRequest)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            badRequest.Add(path.Length == 0 ? "body" : path, $"must be a JSON object ({message.Name})");
            return;
        }
        foreach (var property in json.EnumerateObject())
        {
            if (Field(message, property.Name) is not { } field)
            {
                badRequest.Add(Join(path, property.Name), $"is not a field of {message.Name}");
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
            FieldType.String or FieldType.Bytes => json.ValueKind == JsonValueKind.String ? null : "must be a string",
            FieldType.Bool => json.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false",
            FieldType.Enum => json.ValueKind is JsonValueKind.String or JsonValueKind.Number ? null : "must be a name or a number",
            FieldType.Message when field.IsMap => json.ValueKind == JsonValueKind.Object ? null : "must be a JSON object",
            FieldType.Message => null,
            _ => IsNumber(json) ? null : "must be a number",
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

    /// <summary>A query parameter names a field (a dotted path for nested ones) and, for a number, holds one.</summary>
    private static void CheckQuery(MessageDescriptor message, string key, string value, BadRequest badRequest)
    {
        FieldDescriptor? field = null;
        var path = "";
        foreach (var part in key.Split('.'))
        {
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
        if (field!.FieldType is not (FieldType.String or FieldType.Bytes or FieldType.Bool or FieldType.Enum or FieldType.Message)
            && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            badRequest.Add(path, "must be a number");
        }
    }

    /// <summary>Proto3 JSON names a field in lowerCamelCase or by its proto name; numbers may come as strings.</summary>
    private static FieldDescriptor? Field(MessageDescriptor message, string name) =>
        message.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == name || f.Name == name);

    private static bool IsNumber(JsonElement json) => json.ValueKind == JsonValueKind.Number
        || (json.ValueKind == JsonValueKind.String && double.TryParse(json.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static async Task WriteAsync(HttpContext context, int status, Google.Rpc.Status error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Formatter.Format(error), context.RequestAborted);
    }
}
