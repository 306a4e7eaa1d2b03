using System.Runtime.CompilerServices;
using Grpc.Core;
using Sidecar.V1;

namespace Sidecar.Client;

/// <summary>
/// The daemon's completions, with a default key reference and model for requests that name none.
/// Thread-safe; create one per process and reuse it (or register it with <c>AddSidecarClient</c>).
/// </summary>
/// <example>
/// <code>
/// using var sidecar = SidecarClient.Create(new SidecarClientOptions { KeyRef = "team-a", Model = "gpt-4o-mini" });
/// await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(10));
/// var response = await sidecar.CompleteAsync(new CompleteRequest { Messages = { new Message { Role = Role.User, Content = "hi" } } });
/// </code>
/// </example>
public sealed class SidecarClient : IDisposable
{
    private readonly bool _ownsChannel;

    /// <summary>A client over an existing channel, which it does not dispose.</summary>
    /// <param name="channel">The channel to the daemon.</param>
    /// <param name="keyRef">The key reference of requests that name none.</param>
    /// <param name="model">The model of requests that name none.</param>
    public SidecarClient(SidecarChannel channel, string? keyRef = null, string? model = null)
        : this(channel, keyRef, model, ownsChannel: false)
    {
    }

    private SidecarClient(SidecarChannel channel, string? keyRef, string? model, bool ownsChannel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Channel = channel;
        KeyRef = string.IsNullOrEmpty(keyRef) ? null : keyRef;
        Model = string.IsNullOrEmpty(model) ? null : model;
        _ownsChannel = ownsChannel;
    }

    /// <summary>The channel to the daemon (its <see cref="SidecarChannel.Completions"/> is the raw client).</summary>
    public SidecarChannel Channel { get; }

    /// <summary>The key reference of requests that name none; <see langword="null"/>: none.</summary>
    public string? KeyRef { get; }

    /// <summary>The model of requests that name none; <see langword="null"/>: none.</summary>
    public string? Model { get; }

    /// <summary>Creates a client and the channel it owns (connected at the first call).</summary>
    /// <exception cref="ArgumentException">The options are not valid; the message lists every problem.</exception>
    public static SidecarClient Create(SidecarClientOptions? options = null)
    {
        options ??= new SidecarClientOptions();
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid SidecarClientOptions: " + string.Join(" ", problems), nameof(options));
        }
        var channel = SidecarChannel.Create(options.SocketPath, options.ToChannelOptions());
        return new SidecarClient(channel, options.KeyRef, options.Model, ownsChannel: true);
    }

    /// <inheritdoc cref="SidecarChannel.WaitForReadyAsync"/>
    public Task WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Channel.WaitForReadyAsync(timeout, cancellationToken);

    /// <summary>Calls <c>Complete</c>: the whole answer once the upstream has finished.</summary>
    /// <param name="request">The request; an empty <c>KeyRef</c> or <c>Model</c> takes the client's default. It is not modified.</param>
    /// <param name="deadline">The call's deadline (UTC); <see langword="null"/>: the channel's default deadline.</param>
    /// <param name="cancellationToken">Cancels the call, on the daemon too.</param>
    /// <exception cref="RpcException">The daemon refused or failed the call; see <see cref="SidecarErrorExtensions"/>.</exception>
    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        await Channel.Completions.CompleteAsync(WithDefaults(request), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Calls <c>StreamComplete</c>: the chunks as the upstream produces them; the last carries the
    /// finish reason and usage. Leaving the loop early cancels the call. Merge the chunks with
    /// <see cref="StreamAccumulator"/> (or <see cref="StreamAccumulator.AccumulateAsync"/>).
    /// </summary>
    /// <param name="request">The request; an empty <c>KeyRef</c> or <c>Model</c> takes the client's default. It is not modified.</param>
    /// <param name="deadline">The call's deadline (UTC); <see langword="null"/>: the channel's default deadline.</param>
    /// <param name="cancellationToken">Cancels the call, on the daemon too.</param>
    /// <exception cref="RpcException">The daemon refused or failed the call, or the stream broke (never a silent end).</exception>
    public async IAsyncEnumerable<CompleteChunk> StreamCompleteAsync(
        CompleteRequest request, DateTime? deadline = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = Channel.Completions.StreamComplete(WithDefaults(request), deadline: deadline, cancellationToken: cancellationToken);
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return chunk;
        }
    }

    /// <summary>The request with the client's defaults in its empty <c>KeyRef</c> and <c>Model</c>; a copy when anything changes.</summary>
    public CompleteRequest WithDefaults(CompleteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var needsKeyRef = request.KeyRef.Length == 0 && KeyRef is not null;
        var needsModel = request.Model.Length == 0 && Model is not null;
        if (!needsKeyRef && !needsModel)
        {
            return request;
        }
        var copy = request.Clone();
        if (needsKeyRef)
        {
            copy.KeyRef = KeyRef;
        }
        if (needsModel)
        {
            copy.Model = Model;
        }
        return copy;
    }

    /// <summary>Closes the channel when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsChannel)
        {
            Channel.Dispose();
        }
    }
}
