using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The one door to the LLM: an <see cref="IChatClient"/> per model over the OpenAI SDK (so any OpenAI-compatible server
/// works), with the SDK's own retry policy for 429/5xx and a per-attempt timeout, function invocation for tools, and
/// the token count of every call recorded with its estimated cost.
/// </summary>
public sealed class LlmGateway(IOptions<LlmOptions> options, ContextScopes scopes, TimeProvider clock, ILoggerFactory loggers,
    Telemetry.ConsoleTelemetry telemetry)
{
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new();
    private readonly LlmOptions _options = options.Value;

    /// <summary>False without <c>Llm:ApiKey</c>: the offline responder answers instead.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(_options.ApiKey);

    public string DefaultModel => _options.Model;
    public string AnalysisModel => _options.AnalysisModel;

    /// <summary>Reported with every usage row: the endpoint's host ("api.openai.com", "127.0.0.1").</summary>
    public string Provider => Uri.TryCreate(_options.Endpoint, UriKind.Absolute, out var uri) ? uri.Host : "unknown";

    public IChatClient For(string model) => _clients.GetOrAdd(model, Build);

    /// <summary>The embedding model's generator over the same endpoint, key, timeout and retries as chat calls.</summary>
    public IEmbeddingGenerator<string, Embedding<float>> EmbeddingsFor(string model) =>
        _embedders.GetOrAdd(model, m => Sdk().GetEmbeddingClient(m).AsIEmbeddingGenerator());

    private readonly ConcurrentDictionary<string, IEmbeddingGenerator<string, Embedding<float>>> _embedders = new();

    private OpenAIClient Sdk() => new(new ApiKeyCredential(_options.ApiKey ?? "offline"), new OpenAIClientOptions
    {
        Endpoint = new Uri(_options.Endpoint),
        NetworkTimeout = TimeSpan.FromSeconds(_options.TimeoutSeconds),
        RetryPolicy = new ClientRetryPolicy(_options.MaxRetries),
    });

    private IChatClient Build(string model)
    {
        var sdk = Sdk();
        return new ChatClientBuilder(sdk.GetChatClient(model).AsIChatClient())
            .UseFunctionInvocation(loggers, f =>
            {
                // A model stuck calling tools must still end with an answer; errors go back to the model as text.
                f.MaximumIterationsPerRequest = 6;
                f.IncludeDetailedErrors = false;
            })
            // Innermost: times only the model's own calls (not our tools), so turn overhead can be measured apart.
            .Use(inner => new ModelTimer(inner, model, telemetry))
            .Build();
    }

    public decimal EstimateCost(string model, long input, long output)
    {
        var price = _options.Prices.TryGetValue(model, out var p) ? p
            : _options.Prices.Where(kv => model.StartsWith(kv.Key, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(kv => kv.Key.Length).Select(kv => kv.Value).FirstOrDefault();
        return price is null ? 0m : (input * price.Input + output * price.Output) / 1_000_000m;
    }

    /// <summary>The usage row for a call, for a caller that saves it in its own transaction.</summary>
    public TokenUsage? Usage(Guid tenantId, Guid? conversationId, string model, LlmFeature feature, UsageDetails? usage) =>
        usage is null ? null : TokenUsage.Record(tenantId, conversationId, Provider, model, feature, usage.InputTokenCount ?? 0,
            usage.OutputTokenCount ?? 0, EstimateCost(model, usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0), clock.GetUtcNow());

    /// <summary>Writes the call's token usage; never fails the caller (a lost usage row is logged, not thrown).</summary>
    public async Task<TokenUsage?> RecordUsageAsync(Guid tenantId, Guid? conversationId, string model, LlmFeature feature,
        UsageDetails? usage, CancellationToken ct)
    {
        if (Usage(tenantId, conversationId, model, feature, usage) is not { } row) return null;
        await SaveUsageAsync(row, ct);
        return row;
    }

    /// <summary>Writes a usage row from <see cref="Usage"/> on its own, for a caller whose own transaction did not carry it.</summary>
    public async Task SaveUsageAsync(TokenUsage row, CancellationToken ct)
    {
        try
        {
            await using var work = scopes.ForTenant(row.TenantId);
            work.Db.TokenUsage.Add(row);
            await work.Db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            loggers.CreateLogger<LlmGateway>().LogError(ex, "Could not record token usage for tenant {TenantId}", row.TenantId);
        }
    }
}

/// <summary>
/// Adds the wall time of each model call to the current turn's model time, and publishes every call's duration and
/// result by model (the dashboard's LLM latency and error rate).
/// </summary>
public sealed class ModelTimer(IChatClient inner, string model, Telemetry.ConsoleTelemetry telemetry) : DelegatingChatClient(inner)
{
    private static readonly AsyncLocal<System.Runtime.CompilerServices.StrongBox<TimeSpan>?> Current = new();

    /// <summary>Starts counting model time for the calling flow; read the box after the calls.</summary>
    public static System.Runtime.CompilerServices.StrongBox<TimeSpan> Start() => Current.Value = new(TimeSpan.Zero);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            ok = true;
            return response;
        }
        finally
        {
            telemetry.ModelCalled(model, ok, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            if (Current.Value is { } box)
            {
                lock (box) box.Value += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            }
        }
    }
}
