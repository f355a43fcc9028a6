using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A request body that is not valid protobuf fails with INVALID_ARGUMENT naming the expected
/// message, instead of Grpc.AspNetCore's UNKNOWN "Exception was thrown by handler.": the body is
/// parsed before any interceptor runs, so the fix is in how services are bound.
/// </summary>
public static class StrictGrpcRequests
{
    /// <summary>
    /// Binds every gRPC service as Grpc.AspNetCore does, but with request parsing that fails
    /// precisely. A service may register a <see cref="Marshaller{T}"/> of a response type to
    /// encode those responses its own way (realtime encodes each event once for all its streams).
    /// </summary>
    public static IServiceCollection AddStrictGrpcRequests(this IServiceCollection services)
    {
        var standard = services.Single(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true);
        services.Remove(standard);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>));
        return services;
    }

    private sealed class StrictServiceMethodProvider<TService>(IServiceProvider services) : IServiceMethodProvider<TService> where TService : class
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
        {
            // Generated service bases carry [BindServiceMethod(typeof(X), "BindService")].
            if (typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true) is not { } bind)
            {
                return;
            }
            var bindService = bind.BindType
                .GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Single(m => m.Name == bind.BindMethodName && m.GetParameters() is [{ ParameterType: var binder }, _] && binder == typeof(ServiceBinderBase));
            bindService.Invoke(null, [new Binder(context, services), null]);
        }

        /// <summary>Receives each generated method and registers it with a strict request marshaller; handlers run on a per-call service instance, as Grpc.AspNetCore's own binder does.</summary>
        private sealed class Binder(ServiceMethodProviderContext<TService> context, IServiceProvider services) : ServiceBinderBase
        {
            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
                context.AddUnaryMethod(Strict(method), Metadata(method), Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(method, typeof(TRequest), typeof(ServerCallContext)));

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
                context.AddServerStreamingMethod(Strict(method), Metadata(method), Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
                context.AddClientStreamingMethod(Strict(method), Metadata(method), Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)));

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
                context.AddDuplexStreamingMethod(Strict(method), Metadata(method), Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

            private static TDelegate Invoker<TDelegate>(IMethod method, params Type[] parameters) where TDelegate : Delegate =>
                typeof(TService).GetMethod(method.Name, parameters)!.CreateDelegate<TDelegate>();

            private static List<object> Metadata(IMethod method) =>
                [.. typeof(TService).GetCustomAttributes(inherit: true), .. typeof(TService).GetMethod(method.Name)?.GetCustomAttributes(inherit: true) ?? []];

            private Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
                new(method.Type, method.ServiceName, method.Name, new Marshaller<TRequest>(
                    method.RequestMarshaller.ContextualSerializer,
                    deserialization =>
                    {
                        try
                        {
                            return method.RequestMarshaller.ContextualDeserializer(deserialization);
                        }
                        catch (InvalidProtocolBufferException)
                        {
                            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {typeof(TRequest).Name} protobuf message."));
                        }
                    }), services.GetService<Marshaller<TResponse>>() ?? method.ResponseMarshaller);
        }
    }
}
