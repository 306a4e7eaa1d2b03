using Grpc.Core;
using Sidecar.V1;

namespace Sidecar.Api;

/// <summary>
/// The gRPC door: hands each call to <see cref="CompletionPipeline"/> and renders a failure as a gRPC
/// status with <c>google.rpc</c> details (<see cref="ErrorStatus"/>).
/// </summary>
internal sealed class CompletionsService(CompletionPipeline pipeline) : Completions.CompletionsBase
{
    private const string CompleteRpc = "Complete";
    private const string StreamRpc = "StreamComplete";

    public override async Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context)
    {
        try
        {
            return await pipeline.CompleteAsync(request, Door(CompleteRpc, context)).ConfigureAwait(false);
        }
        catch (CallFailedException failed)
        {
            throw ToRpcException(failed);
        }
    }

    public override async Task StreamComplete(CompleteRequest request, IServerStreamWriter<CompleteChunk> responseStream, ServerCallContext context)
    {
        try
        {
            await pipeline.StreamAsync(request, Door(StreamRpc, context), responseStream.WriteAsync).ConfigureAwait(false);
        }
        catch (CallFailedException failed)
        {
            throw ToRpcException(failed);
        }
    }

    private static CallDoor Door(string rpc, ServerCallContext context) =>
        new(rpc, PeerCredentials.Of(context.GetHttpContext()), context.Deadline, context.CancellationToken);

    private static RpcException ToRpcException(CallFailedException failed) => failed switch
    {
        { Error: { } known } => ErrorStatus.ToRpcException(known),
        { InnerException: RpcException rpc } => rpc,
        _ => new RpcException(new Status(failed.Code, failed.Message)),
    };
}
