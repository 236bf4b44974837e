using Microsoft.Extensions.AI;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Channels.Outbound;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>One line of the conversation as the model sees it.</summary>
public sealed record TurnMessage(MessageSender Sender, string Text, DateTimeOffset At);

/// <summary>
/// Everything a turn needs, loaded before any model call (so the model call holds no database connection).
/// <see cref="Passages"/>: knowledge already retrieved for the new messages (null = the engine retrieves it).
/// </summary>
public sealed record TurnInput(
    Guid TenantId,
    Guid? ConversationId,
    string BusinessName,
    string DefaultLanguage,
    AgentProfile Profile,
    LeadSnapshot Lead,
    ChannelKind Channel,
    IReadOnlyList<TurnMessage> History,
    IReadOnlyList<string> NewCustomerTexts,
    int CustomerMessageCount,
    int AgentErrorCount,
    LlmFeature Feature,
    DateTimeOffset Now,
    IReadOnlyList<KnowledgePassage>? Passages = null)
{
    /// <summary>Built-in tools the tenant switched off: the model is never offered them.</summary>
    public IReadOnlyList<string> DisabledBuiltIns { get; init; } = [];

    /// <summary>The files send_file can send, listed in the prompt so the model knows what exists and when to offer it.</summary>
    public IReadOnlyList<AgentFileSummary> Files { get; init; } = [];
}

/// <summary>A file the agent may send, as the prompt describes it: its name, what it is, and the words that call for it.</summary>
public sealed record AgentFileSummary(string Name, string? Description, IReadOnlyList<string> TriggerWords);

public sealed record HandoffRequest(HandoffReason Reason, HandoffPriority Priority, string? Note);

/// <summary>A tool the model called: shown in the chat panel and the sandbox.</summary>
public sealed record ToolCallRecord(string Name, string Input, string? Output, string? Error, TimeSpan Duration);

/// <summary>What a turn decided. Nothing of it reaches the customer until the runner commits it.</summary>
public sealed class TurnResult
{
    public List<OutboundContent> Replies { get; } = [];
    public List<ToolCallRecord> ToolCalls { get; } = [];
    public List<KnowledgePassage> Passages { get; } = [];
    public HandoffRequest? Handoff { get; set; }
    public string RenderedPrompt { get; set; } = "";
    public string? Model { get; set; }
    public UsageDetails? Usage { get; set; }
    public decimal Cost { get; set; }

    /// <summary>The offline responder answered (no LLM key).</summary>
    public bool Offline { get; set; }

    /// <summary>Why the turn failed (the LLM after retries, say); the customer then gets the handoff message.</summary>
    public TextRef? Error { get; set; }

    /// <summary>The turn decided to stay silent (outside hours, notice already given).</summary>
    public bool Silent { get; set; }

    public string Language { get; set; } = "es";
}

public sealed record BookingOutcome(bool Booked, DateTimeOffset? Start, string Message);

/// <summary>
/// What tools do to the world. Live turns act on the tenant's data; the sandbox reads the same data but only
/// pretends to write, so an owner's test never books a real slot or edits a real lead.
/// </summary>
public interface ITurnEffects
{
    Task<IReadOnlyList<KnowledgePassage>> SearchKnowledgeAsync(string query, int limit, CancellationToken ct);

    Task<string> UpdateLeadAsync(LeadUpdate update, CancellationToken ct);

    Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(DateOnly from, DateOnly to, CancellationToken ct);

    Task<BookingOutcome> BookAsync(DateTimeOffset start, string? name, string? email, string? notes, CancellationToken ct);

    /// <summary>This customer's own upcoming pending or confirmed appointments (never another contact's).</summary>
    Task<IReadOnlyList<Appointment>> UpcomingAppointmentsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<Appointment>>([]);

    /// <summary>Moves one of this customer's upcoming appointments (the only one when <paramref name="appointmentId"/> is null).</summary>
    Task<string> RescheduleAsync(Guid? appointmentId, DateTimeOffset start, CancellationToken ct) => Task.FromResult("Error: appointments cannot be changed here.");

    /// <summary>Cancels one of this customer's upcoming appointments (the only one when <paramref name="appointmentId"/> is null).</summary>
    Task<string> CancelAppointmentAsync(Guid? appointmentId, string? reason, CancellationToken ct) => Task.FromResult("Error: appointments cannot be changed here.");

    /// <summary>Creates the payment request for a catalogue product (its price, its currency) and returns the link to send.</summary>
    Task<string> CreatePaymentLinkAsync(Product product, int quantity, decimal? customAmount, CancellationToken ct);

    /// <summary>Whether the owner lets the agent charge a custom amount, and the most it may be.</summary>
    Task<(bool Allowed, decimal Max)> CustomAmountRuleAsync(CancellationToken ct);

    /// <summary>The active product with this name (case-insensitive), or null.</summary>
    Task<Product?> FindProductAsync(string name, CancellationToken ct);

    /// <summary>Names and prices of the active products, for the model to choose from.</summary>
    Task<IReadOnlyList<Product>> ActiveProductsAsync(CancellationToken ct);

    Task<AgentFile?> FindFileAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<string>> FileNamesAsync(CancellationToken ct);

    /// <summary>The link the channel downloads the file from: its own for a linked file, a fresh signed one for an uploaded file.</summary>
    Task<string> FileLinkAsync(AgentFile file, CancellationToken ct) => Task.FromResult(file.Url);
}

public sealed record LeadUpdate(string? Stage, string? Name, string? Email, string? Company, IReadOnlyDictionary<string, string>? Fields);
