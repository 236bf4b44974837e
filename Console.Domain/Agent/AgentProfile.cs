using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>Draft: the owner's work in progress (what the sandbox runs). Live: what customers talk to. Archived: earlier live versions.</summary>
public enum AgentProfileState { Draft, Live, Archived }

/// <summary>Outside business hours the bot either answers as usual or tells the customer when the team is back.</summary>
public enum OutOfHoursMode { AnswerNormally, SayWhenBack }

/// <summary>A customer/agent exchange shown to the model as an example of the tone and answers wanted.</summary>
public sealed record FewShotExample(string Customer, string Agent);

/// <summary>
/// How a tenant's AI agent behaves. Versioned: publishing the draft archives the live version and makes the draft
/// live, so an earlier version can always be read (and, in the owner workspace, restored).
/// </summary>
public sealed class AgentProfile : ITenantOwned
{
    public const int MaxPromptLength = 20_000;

    private AgentProfile() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public int Version { get; private set; }
    public AgentProfileState State { get; private set; }
    public string SystemPrompt { get; private set; } = "";
    public string? Tone { get; private set; }

    /// <summary>The tenant's model override; null uses the platform's <c>Llm:Model</c>.</summary>
    public string? Model { get; private set; }
    public double Temperature { get; private set; }
    public int MaxTokens { get; private set; }

    /// <summary>Seconds to wait after a customer's last message before answering, so a burst gets one answer.</summary>
    public int BufferSeconds { get; private set; }
    public string TimeZone { get; private set; } = "America/Mexico_City";
    public BusinessHours BusinessHours { get; private set; } = BusinessHours.Always;
    public OutOfHoursMode OutOfHours { get; private set; }
    public IReadOnlyList<string> EscalationKeywords { get; private set; } = [];

    /// <summary>Hand the conversation to a human once the customer has written this many messages; null = never.</summary>
    public int? AutoEscalateAfterMessages { get; private set; }

    /// <summary>A lead reaching this score is handed to a human (high-value lead); null = never.</summary>
    public int? HighValueScore { get; private set; }
    public IReadOnlyList<FewShotExample> FewShotExamples { get; private set; } = [];

    /// <summary>The tenant's own lead fields the analysis extracts (e.g. "tratamiento", "presupuesto").</summary>
    public IReadOnlyList<string> LeadFields { get; private set; } = [];

    /// <summary>Length of a bookable appointment slot, used by check_availability and book_appointment.</summary>
    public int AppointmentMinutes { get; private set; }

    /// <summary>A WhatsApp number (E.164) told about every handoff, for teams not watching the console.</summary>
    public string? HandoffNotifyNumber { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset? PublishedAt { get; private set; }

    /// <summary>Who made this version live: the member's name, or the API key's for the REST API; null for the system's own.</summary>
    public string? PublishedBy { get; private set; }

    /// <summary>The version this one is a copy of, when it was published by a rollback.</summary>
    public int? RestoredFrom { get; private set; }

    public LeadScoringWeights ScoringWeights { get; private set; } = LeadScoringWeights.Default;

    public TimeSpan Buffer => TimeSpan.FromSeconds(BufferSeconds);

    /// <param name="timeZone">The business's zone (publishing makes the agent's zone the workspace's); null = the platform default.</param>
    public static AgentProfile CreateDefault(Guid tenantId, string businessName, DateTimeOffset now, string? timeZone = null) => new()
    {
        TimeZone = timeZone ?? "America/Mexico_City",
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        Version = 1,
        State = AgentProfileState.Live,
        SystemPrompt =
            $"Eres el asistente virtual de {{{{business_name}}}}. Responde con amabilidad y brevedad, en el idioma del cliente. " +
            "Usa solo la información del negocio que tienes; si no sabes algo, dilo y ofrece pasar la conversación a una persona.",
        Temperature = 0.3,
        MaxTokens = 500,
        BufferSeconds = 5,
        AppointmentMinutes = 30,
        HighValueScore = 85,
        EscalationKeywords = ["humano", "persona", "asesor", "queja", "human", "agent", "complaint"],
        CreatedAt = now,
        UpdatedAt = now,
        PublishedAt = now,
    };

    /// <summary>A new draft starting from this version (the owner edits it and tests it in the sandbox).</summary>
    /// <param name="version">The next free version number of the tenant (versions only go up).</param>
    public AgentProfile StartDraft(int version, DateTimeOffset now)
    {
        if (version <= Version) throw new DomainException("agent.version", "A new version must have a higher number.");
        var draft = (AgentProfile)MemberwiseClone();
        draft.Id = Guid.CreateVersion7(now);
        draft.State = AgentProfileState.Draft;
        draft.Version = version;
        draft.CreatedAt = now;
        draft.UpdatedAt = now;
        draft.PublishedAt = null;
        draft.PublishedBy = null;
        draft.RestoredFrom = null;
        return draft;
    }

    public void Update(AgentSettings s, DateTimeOffset now)
    {
        if (State == AgentProfileState.Archived)
            throw new DomainException("agent.archived", "An archived version cannot be changed; start a new draft from it.");
        if (string.IsNullOrWhiteSpace(s.SystemPrompt))
            throw new DomainException("agent.system_prompt", "The system prompt is required.");
        if (s.SystemPrompt.Length > MaxPromptLength)
            throw new DomainException("agent.system_prompt_length", $"The system prompt is at most {MaxPromptLength:N0} characters.", MaxPromptLength);
        if (s.Temperature is < 0 or > 2)
            throw new DomainException("agent.temperature", "Temperature is between 0 and 2.");
        if (s.MaxTokens is < 16 or > 4_000)
            throw new DomainException("agent.max_tokens", "Max tokens is between 16 and 4000.");
        if (s.BufferSeconds is < 0 or > 120)
            throw new DomainException("agent.buffer_seconds", "The buffer is between 0 and 120 seconds.");
        if (s.AutoEscalateAfterMessages is < 1)
            throw new DomainException("agent.auto_escalate", "Auto-escalation needs at least 1 message (or leave it empty).");
        if (s.HighValueScore is < 1 or > 100)
            throw new DomainException("agent.high_value_score", "The high-value score is between 1 and 100 (or leave it empty).");
        if (s.AppointmentMinutes is < 5 or > 480)
            throw new DomainException("agent.appointment_minutes", "An appointment lasts between 5 and 480 minutes.");
        var notifyNumber = string.IsNullOrWhiteSpace(s.HandoffNotifyNumber) ? null
            : Contacts.PhoneNumberNormalizer.ToE164(s.HandoffNotifyNumber)
              ?? throw new DomainException("agent.handoff_number", $"'{s.HandoffNotifyNumber}' is not a phone number (write it with its country code, e.g. +52 55 1234 5678).", s.HandoffNotifyNumber);
        if (!IsKnownTimeZone(s.TimeZone))
            throw new DomainException("agent.time_zone", $"Unknown time zone '{s.TimeZone}' (use an IANA name such as America/Bogota).", s.TimeZone);
        s.ScoringWeights.Validate();
        if (s.FewShotExamples.Any(e => string.IsNullOrWhiteSpace(e.Customer) || string.IsNullOrWhiteSpace(e.Agent)))
            throw new DomainException("agent.few_shot", "Every example needs both the customer's message and the agent's answer.");

        SystemPrompt = s.SystemPrompt.Trim();
        Tone = string.IsNullOrWhiteSpace(s.Tone) ? null : s.Tone.Trim();
        Model = string.IsNullOrWhiteSpace(s.Model) ? null : s.Model.Trim();
        Temperature = s.Temperature;
        MaxTokens = s.MaxTokens;
        BufferSeconds = s.BufferSeconds;
        TimeZone = s.TimeZone;
        BusinessHours = s.BusinessHours;
        OutOfHours = s.OutOfHours;
        EscalationKeywords = s.EscalationKeywords.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        AutoEscalateAfterMessages = s.AutoEscalateAfterMessages;
        HighValueScore = s.HighValueScore;
        FewShotExamples = s.FewShotExamples.ToList();
        LeadFields = s.LeadFields.Select(f => f.Trim()).Where(f => f.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        AppointmentMinutes = s.AppointmentMinutes;
        // Stored as E.164: it is matched against contacts' numbers to find the team's WhatsApp chat.
        HandoffNotifyNumber = notifyNumber;
        ScoringWeights = s.ScoringWeights;
        UpdatedAt = now;
    }

    public AgentSettings Settings => new(SystemPrompt, Tone, Model, Temperature, MaxTokens, BufferSeconds, TimeZone, BusinessHours,
        OutOfHours, EscalationKeywords, AutoEscalateAfterMessages, HighValueScore, FewShotExamples, LeadFields, AppointmentMinutes,
        HandoffNotifyNumber, ScoringWeights);

    /// <param name="by">Who publishes (shown in the version list); null for the system's own changes.</param>
    public void Publish(DateTimeOffset now, string? by = null)
    {
        if (State != AgentProfileState.Draft) throw new DomainException("agent.publish", "Only a draft can be published.");
        State = AgentProfileState.Live;
        PublishedAt = now;
        PublishedBy = string.IsNullOrWhiteSpace(by) ? null : by.Trim();
        UpdatedAt = now;
    }

    /// <summary>
    /// A rollback: an exact copy of this published version's settings under a new, higher number, about to be published
    /// (the caller archives the live version and publishes the copy; the owner's draft is untouched).
    /// </summary>
    public AgentProfile CopyForRestore(int version, DateTimeOffset now)
    {
        if (State == AgentProfileState.Draft)
            throw new DomainException("agent.restore_draft", "A draft was never published; publish it instead of restoring it.");
        var copy = StartDraft(version, now);
        copy.RestoredFrom = Version;
        return copy;
    }

    public void Archive() => State = AgentProfileState.Archived;

    /// <summary>
    /// The draft takes a higher number when a version was published around it (a rollback, an API change), so the
    /// draft is always the newest number and publishing it never goes back in numbers.
    /// </summary>
    public void Renumber(int version, DateTimeOffset now)
    {
        if (State != AgentProfileState.Draft) throw new DomainException("agent.renumber", "Only a draft takes a new number.");
        if (version <= Version) throw new DomainException("agent.version", "A new version must have a higher number.");
        Version = version;
        UpdatedAt = now;
    }

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public DateTime LocalTime(DateTimeOffset utc) => TimeZoneInfo.ConvertTime(utc, Zone).DateTime;

    private static bool IsKnownTimeZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return false;
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out _);
    }
}

/// <summary>The editable part of a profile, as the API and the editor see it.</summary>
public sealed record AgentSettings(
    string SystemPrompt,
    string? Tone,
    string? Model,
    double Temperature,
    int MaxTokens,
    int BufferSeconds,
    string TimeZone,
    BusinessHours BusinessHours,
    OutOfHoursMode OutOfHours,
    IReadOnlyList<string> EscalationKeywords,
    int? AutoEscalateAfterMessages,
    int? HighValueScore,
    IReadOnlyList<FewShotExample> FewShotExamples,
    IReadOnlyList<string> LeadFields,
    int AppointmentMinutes,
    string? HandoffNotifyNumber,
    LeadScoringWeights ScoringWeights);
