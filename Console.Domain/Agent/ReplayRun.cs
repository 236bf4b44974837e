using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

public enum ReplayRunStatus { Queued, Running, Completed, Cancelled, Failed }

/// <summary>How the draft's reply compares with the one the customer actually got, as the judge saw it.</summary>
public enum ReplayVerdict { Better, Same, Worse }

/// <summary>
/// One replay evaluation: the draft profile answering past customer turns of real conversations, with nothing sent.
/// Kept per draft version so an owner can compare before publishing. Progress and totals are written by the worker
/// that holds the run's lease (set-based, next to each turn it stores); cancelling only changes the status.
/// </summary>
public sealed class ReplayRun : ITenantOwned
{
    private ReplayRun() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public int DraftVersion { get; private set; }
    public ReplayRunStatus Status { get; private set; }
    public bool Judge { get; private set; }

    /// <summary>The rubric as it was when the run started (the owner may edit it later).</summary>
    public string? Rubric { get; private set; }

    /// <summary>
    /// The draft's settings as they were when the run started (JSON): every turn is answered by that draft even if the
    /// owner keeps editing, so the results describe one draft. Null for runs started before snapshots were kept.
    /// </summary>
    public string? DraftSettings { get; private set; }
    public int ConversationCount { get; private set; }
    public int TotalTurns { get; private set; }
    public int DoneTurns { get; private set; }
    public int Better { get; private set; }
    public int Same { get; private set; }
    public int Worse { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public decimal Cost { get; private set; }
    public string CreatedBy { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public Guid? LeaseId { get; private set; }
    public DateTimeOffset? LeaseUntil { get; private set; }

    public bool IsActive => Status is ReplayRunStatus.Queued or ReplayRunStatus.Running;

    public static ReplayRun Start(Guid tenantId, int draftVersion, bool judge, string? rubric, int conversations, int turns, string createdBy,
        DateTimeOffset now, string? draftSettings = null) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        DraftVersion = draftVersion,
        DraftSettings = draftSettings,
        Status = turns == 0 ? ReplayRunStatus.Completed : ReplayRunStatus.Queued,
        Judge = judge,
        Rubric = judge ? rubric : null,
        ConversationCount = conversations,
        TotalTurns = turns,
        CreatedBy = createdBy,
        CreatedAt = now,
        FinishedAt = turns == 0 ? now : null,
    };

    /// <summary>Stops the run before its next turn; a finished run stays as it is.</summary>
    public bool Cancel(DateTimeOffset now)
    {
        if (!IsActive) return false;
        Status = ReplayRunStatus.Cancelled;
        FinishedAt = now;
        LeaseId = null;
        LeaseUntil = null;
        return true;
    }
}

/// <summary>A tool the draft called during a replayed turn: always answered by its mock (or the sandbox's pretend write).</summary>
public sealed record ReplayToolCall(string Name, string Arguments, string? Result, string? Error);

/// <summary>One customer turn of a replayed conversation: what the customer wrote, what they got, what the draft would say.</summary>
public sealed class ReplayTurn : ITenantOwned
{
    public const int MaxTextLength = 8000;

    private ReplayTurn() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid RunId { get; private set; }
    public Guid ConversationId { get; private set; }
    public int Position { get; private set; }
    public string ContactName { get; private set; } = "";
    public ChannelKind Channel { get; private set; }

    /// <summary>When the customer's turn began: the history given to the draft is everything before it.</summary>
    public DateTimeOffset CustomerAt { get; private set; }
    public string CustomerText { get; private set; } = "";

    /// <summary>The next bot or agent message after the customer's turn; null when nobody answered.</summary>
    public string? LiveReply { get; private set; }
    public string? DraftReply { get; private set; }
    public IReadOnlyList<ReplayToolCall> ToolCalls { get; private set; } = [];
    public string? Model { get; private set; }
    public bool Offline { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public decimal Cost { get; private set; }
    public ReplayVerdict? Verdict { get; private set; }
    public string? VerdictWhy { get; private set; }
    public string? Error { get; private set; }
    public DateTimeOffset? DoneAt { get; private set; }

    public static ReplayTurn Plan(ReplayRun run, Guid conversationId, int position, string contactName, ChannelKind channel,
        DateTimeOffset customerAt, string customerText, string? liveReply) => new()
    {
        Id = Guid.CreateVersion7(run.CreatedAt),
        TenantId = run.TenantId,
        RunId = run.Id,
        ConversationId = conversationId,
        Position = position,
        ContactName = contactName,
        Channel = channel,
        CustomerAt = customerAt,
        CustomerText = Clip(customerText)!,
        LiveReply = Clip(liveReply),
    };

    public void Complete(string? draftReply, IReadOnlyList<ReplayToolCall> toolCalls, string? model, bool offline, long inputTokens,
        long outputTokens, decimal cost, string? error, DateTimeOffset now)
    {
        DraftReply = Clip(draftReply);
        ToolCalls = toolCalls;
        Model = model;
        Offline = offline;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        Cost = cost;
        Error = Clip(error);
        DoneAt = now;
    }

    public void Judged(ReplayVerdict verdict, string why, long inputTokens, long outputTokens, decimal cost)
    {
        Verdict = verdict;
        VerdictWhy = Clip(why);
        InputTokens += inputTokens;
        OutputTokens += outputTokens;
        Cost += cost;
    }

    private static string? Clip(string? s) => s is null || s.Length <= MaxTextLength ? s : s[..MaxTextLength];
}

/// <summary>What the replay judge is told to weigh, per tenant; the owner edits it.</summary>
public sealed class ReplayRubric : ITenantOwned
{
    public const int MaxLength = 4000;

    private ReplayRubric() { }

    public Guid TenantId { get; private set; }
    public string Text { get; private set; } = "";
    public DateTimeOffset UpdatedAt { get; private set; }

    public static ReplayRubric Create(Guid tenantId, string text, DateTimeOffset now)
    {
        var rubric = new ReplayRubric { TenantId = tenantId };
        rubric.Change(text, now);
        return rubric;
    }

    public void Change(string text, DateTimeOffset now)
    {
        text = text.Trim();
        if (text.Length == 0) throw new DomainException("replay.rubric_empty", "The rubric cannot be empty.");
        if (text.Length > MaxLength) throw new DomainException("replay.rubric_long", "The rubric can have at most {0} characters.", MaxLength);
        Text = text;
        UpdatedAt = now;
    }

    /// <summary>The rubric a tenant starts with, in its language.</summary>
    public static string Default(string culture) => culture.StartsWith("en", StringComparison.OrdinalIgnoreCase)
        ? "Better: answers the customer's actual question correctly with the business's information, moves them toward booking or " +
          "buying, is brief and warm, and hands off to a person when it should. Worse: invents facts or prices, ignores the question, " +
          "is rude or too long, or promises what the business did not. Same: no meaningful difference."
        : "Mejor: responde correctamente la pregunta real del cliente con la información del negocio, lo acerca a agendar o comprar, " +
          "es breve y amable, y pasa a una persona cuando corresponde. Peor: inventa datos o precios, ignora la pregunta, es descortés " +
          "o demasiado larga, o promete lo que el negocio no ofrece. Igual: no hay una diferencia relevante.";
}
