using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>What an LLM call was for; token spend is reported per feature.</summary>
public enum LlmFeature { Reply, Analysis, Copilot, Sandbox, Replay, Embedding, Transcription, Vision }

/// <summary>One LLM call's token count and estimated cost, for the tenant's usage and the platform's spend report.</summary>
public sealed class TokenUsage : ITenantOwned
{
    private TokenUsage() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid? ConversationId { get; private set; }
    public string Provider { get; private set; } = "";
    public string Model { get; private set; } = "";
    public LlmFeature Feature { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }

    /// <summary>Estimated from the configured price table (USD); 0 when the model has no price.</summary>
    public decimal EstimatedCost { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static TokenUsage Record(Guid tenantId, Guid? conversationId, string provider, string model, LlmFeature feature,
        long input, long output, decimal cost, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        ConversationId = conversationId,
        Provider = provider,
        Model = model,
        Feature = feature,
        InputTokens = Math.Max(0, input),
        OutputTokens = Math.Max(0, output),
        EstimatedCost = cost,
        CreatedAt = now,
    };
}
