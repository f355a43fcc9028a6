using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// The REST API's OpenAPI document, built from what defines it: each service method's
/// <c>google.api.http</c> rule and its messages' descriptors (ASP.NET Core's generator does not
/// see transcoded routes). Path fields are path parameters; a rule with a body takes the other
/// fields as a JSON body, one without takes them as query parameters; every error is a
/// <c>google.rpc.Status</c>.
/// </summary>
public sealed partial class RestApiDocument(params ServiceDescriptor[] services) : IOpenApiDocumentTransformer
{
    private const string Status = "google.rpc.Status";
    private const string OAuth = "oauth2";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo { Title = "Polyglot crud", Version = "v1", Description = "Boards, columns, cards and members: the gRPC API of polyglot.boards.v1 as REST with JSON." };
        document.Paths ??= [];
        document.Components ??= new OpenApiComponents();
        // Every route takes a token from crud's own token server: a service's, by client credentials
        // (on a local run the client polyglot-dev, its secret the dashboard's dev-client-secret).
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [OAuth] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "A token from crud's token server with the boards scope.",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(TokenServerPaths.Token, UriKind.Relative),
                        Scopes = new Dictionary<string, string> { [ApiScopes.Boards] = "Read and change the boards you are a member of." },
                    },
                },
            },
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OAuth, document)] = [ApiScopes.Boards] }];
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Status] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The gRPC status: its code, a message, and details such as a google.rpc.BadRequest naming each bad field.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["code"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["details"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Object } },
            },
        };

        foreach (var service in services)
        {
            foreach (var method in service.Methods)
            {
                if (method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not { } rule)
                {
                    continue;
                }
                var (verb, template) = Route(rule);
                if (!document.Paths.TryGetValue(template, out var found) || found is not OpenApiPathItem item)
                {
                    document.Paths[template] = item = new OpenApiPathItem();
                }
                item.Operations ??= [];
                item.Operations[verb] = Operation(document, service, method, template, rule.Body == "*");
            }
        }
        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(OpenApiDocument document, ServiceDescriptor service, MethodDescriptor method, string template, bool hasBody)
    {
        var inPath = PathFields(template);
        var fields = method.InputType.Fields.InDeclarationOrder();
        var operation = new OpenApiOperation
        {
            OperationId = $"{service.Name}_{method.Name}",
            Summary = method.Name,
            Tags = new HashSet<OpenApiTagReference> { new(service.Name, document) },
            Parameters = [.. fields.Where(f => inPath.Contains(f.Name)).Select(f => Parameter(f, ParameterLocation.Path))],
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "OK",
                    Content = method.OutputType.FullName == "google.protobuf.Empty" ? null : Json(Reference(document, method.OutputType)),
                },
                ["default"] = new OpenApiResponse { Description = "An error, as google.rpc.Status", Content = Json(new OpenApiSchemaReference(Status, document)) },
            },
        };
        var rest = fields.Where(f => !inPath.Contains(f.Name)).ToList();
        if (hasBody)
        {
            operation.RequestBody = new OpenApiRequestBody { Required = true, Content = Json(Object(document, rest)) };
        }
        else
        {
            foreach (var field in rest)
            {
                operation.Parameters.Add(Parameter(field, ParameterLocation.Query));
            }
        }
        return operation;
    }

    internal static (HttpMethod Verb, string Template) Route(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => (HttpMethod.Get, rule.Get),
        HttpRule.PatternOneofCase.Post => (HttpMethod.Post, rule.Post),
        HttpRule.PatternOneofCase.Put => (HttpMethod.Put, rule.Put),
        HttpRule.PatternOneofCase.Patch => (HttpMethod.Patch, rule.Patch),
        HttpRule.PatternOneofCase.Delete => (HttpMethod.Delete, rule.Delete),
        _ => throw new NotSupportedException($"HTTP rule {rule.PatternCase}"),
    };

    private static OpenApiParameter Parameter(FieldDescriptor field, ParameterLocation location) => new()
    {
        Name = location == ParameterLocation.Path ? field.Name : field.JsonName,
        In = location,
        Required = location == ParameterLocation.Path,
        Schema = Scalar(field),
    };

    /// <summary>The message's schema under components, added on first use; a reference to it.</summary>
    private static IOpenApiSchema Reference(OpenApiDocument document, MessageDescriptor message)
    {
        if (!document.Components!.Schemas!.ContainsKey(message.FullName))
        {
            document.Components.Schemas[message.FullName] = new OpenApiSchema(); // a placeholder against recursion
            document.Components.Schemas[message.FullName] = Object(document, message.Fields.InDeclarationOrder());
        }
        return new OpenApiSchemaReference(message.FullName, document);
    }

    private static OpenApiSchema Object(OpenApiDocument document, IEnumerable<FieldDescriptor> fields) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = fields.ToDictionary(f => f.JsonName, f => Field(document, f)),
    };

    private static IOpenApiSchema Field(OpenApiDocument document, FieldDescriptor field)
    {
        IOpenApiSchema single = field.FieldType == FieldType.Message && field.MessageType.FullName != "google.protobuf.Timestamp"
            ? Reference(document, field.MessageType)
            : Scalar(field);
        return field.IsRepeated ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = single } : single;
    }

    private static OpenApiSchema Scalar(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32 => new() { Type = JsonSchemaType.Integer, Format = "int32" },
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64 => new() { Type = JsonSchemaType.Integer, Format = "int64" },
        FieldType.Bool => new() { Type = JsonSchemaType.Boolean },
        FieldType.Double or FieldType.Float => new() { Type = JsonSchemaType.Number },
        FieldType.Message => new() { Type = JsonSchemaType.String, Format = "date-time" }, // google.protobuf.Timestamp
        FieldType.Enum => new() { Type = JsonSchemaType.String, Enum = [.. field.EnumType.Values.Select(v => (System.Text.Json.Nodes.JsonNode)v.Name)] },
        _ => new() { Type = JsonSchemaType.String },
    };

    private static Dictionary<string, OpenApiMediaType> Json(IOpenApiSchema schema) => new() { ["application/json"] = new OpenApiMediaType { Schema = schema } };

    /// <summary>The fields a route template names (by proto name), such as board_id in /v1/boards/{board_id}/columns.</summary>
    internal static HashSet<string> PathFields(string template) => PathField().Matches(template).Select(m => m.Groups[1].Value).ToHashSet();

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex PathField();
}
