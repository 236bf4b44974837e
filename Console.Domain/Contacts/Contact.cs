using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Contacts;

public enum LeadTemperature { Cold, Warm, Hot }

public enum IdentityKind { WaId, Bsuid, Psid, Igsid, OpenId }

/// <summary>The customer. Identified per channel by one or more <see cref="ContactIdentity"/> rows.</summary>
public sealed class Contact : ITenantOwned
{
    public const int InitialScore = 50;

    private readonly List<ContactIdentity> _identities = [];
    private readonly List<LeadScoreChange> _scoreChanges = [];
    private Dictionary<string, string> _fields = [];
    private string[] _tags = [];

    private Contact() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string? Name { get; private set; }
    public string? PhoneE164 { get; private set; }
    public string? Email { get; private set; }
    public string? Company { get; private set; }

    /// <summary>
    /// The lead's pipeline stage (a <c>PipelineStage</c> of the tenant). A new contact gets the tenant's first open stage
    /// from the database when it is stored; moves go through the lead pipeline service, which records history.
    /// </summary>
    public Guid StageId { get; private set; }

    /// <summary>The member responsible for this lead, if any.</summary>
    public Guid? OwnerMemberId { get; private set; }
    public IReadOnlyList<string> Tags => _tags;
    public int Score { get; private set; }
    public LeadTemperature Temperature { get; private set; }
    public bool BotEnabled { get; private set; }

    /// <summary>The bot stays quiet for this customer until then (rate limit reached); messages are still stored.</summary>
    public DateTimeOffset? BotPausedUntil { get; private set; }
    public string? Summary { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? LastSeenAt { get; private set; }
    public IReadOnlyCollection<ContactIdentity> Identities => _identities.AsReadOnly();
    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <summary>Score changes recorded since this instance was loaded (new rows to store; the history is read by query).</summary>
    public IReadOnlyCollection<LeadScoreChange> ScoreChanges => _scoreChanges.AsReadOnly();

    public static Contact Create(Guid tenantId, string? name, string? phone, DateTimeOffset now)
    {
        var contact = new Contact
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim(),
            PhoneE164 = PhoneNumberNormalizer.ToE164(phone),
            BotEnabled = true,
            CreatedAt = now,
        };
        contact.ApplyScore(InitialScore);
        return contact;
    }

    public ContactIdentity AddIdentity(Guid channelId, IdentityKind kind, string value)
    {
        var existing = _identities.FirstOrDefault(i => i.ChannelId == channelId && i.Kind == kind && i.Value == value);
        if (existing is not null) return existing;
        var identity = ContactIdentity.Create(TenantId, Id, channelId, kind, value);
        _identities.Add(identity);
        if (kind == IdentityKind.WaId && PhoneE164 is null) PhoneE164 = PhoneNumberNormalizer.ToE164(value);
        return identity;
    }

    private const int WarmFrom = 40, HotFrom = 70;

    public static LeadTemperature TemperatureFor(int score) => score switch
    {
        >= HotFrom => LeadTemperature.Hot,
        >= WarmFrom => LeadTemperature.Warm,
        _ => LeadTemperature.Cold,
    };

    /// <summary>The scores (0–100) that have this temperature.</summary>
    public static (int Low, int High) ScoreRange(LeadTemperature temperature) => temperature switch
    {
        LeadTemperature.Hot => (HotFrom, 100),
        LeadTemperature.Warm => (WarmFrom, HotFrom - 1),
        _ => (0, WarmFrom - 1),
    };

    /// <summary>
    /// Score is clamped to 0–100 and the temperature always follows it. Every change is recorded with its reason (the
    /// lead's score history), here and nowhere else, whoever changes it: the analysis, the agent, the API, the seed.
    /// </summary>
    public void SetScore(int score, string? reason, DateTimeOffset at)
    {
        var before = Score;
        ApplyScore(score);
        if (Score != before) _scoreChanges.Add(LeadScoreChange.Record(this, before, Score, reason, at));
    }

    public void AdjustScore(int delta, string? reason, DateTimeOffset at) => SetScore(Score + delta, reason, at);

    private void ApplyScore(int score)
    {
        Score = Math.Clamp(score, 0, 100);
        Temperature = TemperatureFor(Score);
    }

    /// <summary>
    /// Takes in what <paramref name="duplicate"/> knows (the same person on another channel): this contact's own values win,
    /// unless they are empty. Rows pointing at the duplicate (identities, conversations, …) are moved by the caller.
    /// </summary>
    public void AbsorbProfile(Contact duplicate)
    {
        if (duplicate.TenantId != TenantId || duplicate.Id == Id) throw new DomainException("lead.merge_same", "Cannot merge a lead into itself.");
        Name ??= duplicate.Name;
        PhoneE164 ??= duplicate.PhoneE164;
        Email ??= duplicate.Email;
        Company ??= duplicate.Company;
        Summary ??= duplicate.Summary;
        BotPausedUntil = BotPausedUntil is null || duplicate.BotPausedUntil > BotPausedUntil ? duplicate.BotPausedUntil ?? BotPausedUntil : BotPausedUntil;
        BotEnabled = BotEnabled && duplicate.BotEnabled;
        if (duplicate.CreatedAt < CreatedAt) CreatedAt = duplicate.CreatedAt;
        if (duplicate.LastSeenAt > LastSeenAt || LastSeenAt is null) LastSeenAt = duplicate.LastSeenAt ?? LastSeenAt;
        var copy = new Dictionary<string, string>(_fields);
        foreach (var (key, value) in duplicate._fields)
            if (!copy.TryGetValue(key, out var mine) || string.IsNullOrWhiteSpace(mine)) copy[key] = value;
        _fields = copy;
    }

    /// <summary>Sets or clears a standard field from an operator's edit; an invalid value throws with the field's rule.</summary>
    public void EditStandardField(string field, string? value)
    {
        var text = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        switch (field)
        {
            case "name":
                if (text?.Length > 200) throw new DomainException("lead.name", "A name is at most 200 characters.");
                Name = text;
                break;
            case "company":
                if (text?.Length > 200) throw new DomainException("lead.company", "A company is at most 200 characters.");
                Company = text;
                break;
            case "email":
                if (text is not null && !EmailAddress.IsValid(text))
                    throw new DomainException("lead.email", $"'{text}' is not an e-mail address.", text);
                Email = text;
                break;
            case "phone":
                if (text is null) { PhoneE164 = null; break; }
                PhoneE164 = PhoneNumberNormalizer.ToE164(text)
                    ?? throw new DomainException("lead.phone", $"'{text}' is not a phone number.", text);
                break;
            default:
                throw new DomainException("lead.field", $"Unknown field '{field}'.", field);
        }
    }

    /// <summary>Only the lead pipeline calls this, next to the history row and the event it writes.</summary>
    public void MoveTo(Guid stageId) => StageId = stageId;

    public void AssignOwner(Guid? memberId) => OwnerMemberId = memberId;

    public void AddTag(string tag)
    {
        tag = (tag ?? "").Trim();
        if (tag.Length == 0 || tag.Length > 40) throw new DomainException("lead.tag", $"'{tag}' is not a tag (1–40 characters).", tag);
        if (_tags.Contains(tag, StringComparer.OrdinalIgnoreCase)) return;
        _tags = [.. _tags, tag];
    }

    public void UpdateProfile(string? name, string? email, string? company)
    {
        if (!string.IsNullOrWhiteSpace(name)) Name = name.Trim();
        if (!string.IsNullOrWhiteSpace(email)) Email = email.Trim();
        if (!string.IsNullOrWhiteSpace(company)) Company = company.Trim();
    }

    public void SetPhone(string? phone) => PhoneE164 = PhoneNumberNormalizer.ToE164(phone) ?? PhoneE164;

    public void SetField(string key, string? value)
    {
        var copy = new Dictionary<string, string>(_fields);
        if (value is null) copy.Remove(key); else copy[key] = value;
        _fields = copy;
    }

    public void SetBotEnabled(bool enabled) => BotEnabled = enabled;

    public void PauseBot(DateTimeOffset until)
    {
        if (BotPausedUntil is null || until > BotPausedUntil) BotPausedUntil = until;
    }

    public bool BotAllowed(DateTimeOffset now) => BotEnabled && (BotPausedUntil is null || BotPausedUntil <= now);

    public void SetSummary(string? summary) => Summary = summary;

    /// <summary>
    /// When the customer asked not to be written to (an opt-out word). Every automated send checks it; only an operator
    /// clears it (the customer said so elsewhere).
    /// </summary>
    public DateTimeOffset? OptedOutAt { get; private set; }

    /// <summary>True when this is news (the customer was not opted out yet): only then is it acknowledged.</summary>
    public bool OptOut(DateTimeOffset now)
    {
        if (OptedOutAt is not null) return false;
        OptedOutAt = now;
        return true;
    }

    public void ClearOptOut() => OptedOutAt = null;

    public void Seen(DateTimeOffset at)
    {
        if (LastSeenAt is null || at > LastSeenAt) LastSeenAt = at;
    }
}

public sealed class ContactIdentity : ITenantOwned
{
    private ContactIdentity() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ContactId { get; private set; }
    public Guid ChannelId { get; private set; }
    public IdentityKind Kind { get; private set; }
    public string Value { get; private set; } = "";

    internal static ContactIdentity Create(Guid tenantId, Guid contactId, Guid channelId, IdentityKind kind, string value) => new()
    {
        Id = Guid.NewGuid(),
        TenantId = tenantId,
        ContactId = contactId,
        ChannelId = channelId,
        Kind = kind,
        Value = value.Trim(),
    };
}
