using System.Text.RegularExpressions;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Tenants;

public enum Plan { Starter, Growth, Pro, Enterprise }

public enum TenantStatus { Active, Suspended }

/// <summary>A workspace was suspended or resumed by the platform: its members' open screens show or lift the notice.</summary>
public sealed record WorkspaceStatusChanged(Guid TenantId, TenantStatus Status) : IDomainEvent;

/// <summary>A business using Console. Not itself tenant-owned: it is the root of isolation.</summary>
public sealed partial class Tenant : AggregateRoot
{
    private Tenant() { }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string Slug { get; private set; } = "";
    public Plan Plan { get; private set; }
    public TenantStatus Status { get; private set; }
    public bool BotEnabled { get; private set; }
    public string TimeZone { get; private set; } = "America/Mexico_City";
    public string DefaultCulture { get; private set; } = "es";

    /// <summary>ISO country whose numbering plan reads phone numbers written without a country code (imports).</summary>
    public string DefaultRegion { get; private set; } = "MX";
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When the free trial ends; null for workspaces that never had one (created by the platform).</summary>
    public DateTimeOffset? TrialEndsAt { get; private set; }

    /// <summary>When an owner hid the first-run checklist; it also hides itself once every item is done.</summary>
    public DateTimeOffset? OnboardingDismissedAt { get; private set; }

    /// <summary>The owner lets a vision model describe customers' images for the agent (off by default: it costs per image).</summary>
    public bool DescribeImages { get; private set; }
    /// <summary>Built-in agent tools the owner switched off: never offered to the model (names from the tools' contract).</summary>
    public IReadOnlyList<string> DisabledBuiltInTools { get; private set; } = [];

    public static Tenant Create(string name, string slug, Plan plan, DateTimeOffset now)
    {
        name = name?.Trim() ?? "";
        slug = NormalizeSlug(slug);
        if (name.Length is 0 or > 120)
            throw new DomainException("tenant.name", "A tenant name is required (at most 120 characters).");
        return new Tenant
        {
            Id = Guid.CreateVersion7(now),
            Name = name,
            Slug = slug,
            Plan = plan,
            Status = TenantStatus.Active,
            BotEnabled = true,
            CreatedAt = now,
        };
    }

    /// <summary>Slugs appear in webhook URLs: lowercase letters, digits and single hyphens, 2–40 long.</summary>
    public static string NormalizeSlug(string? slug)
    {
        var s = (slug ?? "").Trim().ToLowerInvariant();
        if (!SlugPattern().IsMatch(s))
            throw new DomainException("tenant.slug",
                "A slug is 2 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit.");
        return s;
    }

    public void Rename(string name) =>
        Name = string.IsNullOrWhiteSpace(name) ? throw new DomainException("tenant.name", "A tenant name is required.") : name.Trim();

    public void SetBotEnabled(bool enabled) => BotEnabled = enabled;

    public void SetDescribeImages(bool enabled) => DescribeImages = enabled;

    public void ChangePlan(Plan plan) => Plan = plan;

    public void SetDefaultRegion(string region)
    {
        var r = (region ?? "").Trim().ToUpperInvariant();
        if (r.Length != 2 || !r.All(char.IsAsciiLetterUpper)) throw new DomainException("tenant.region", "A region is a two-letter country code (MX, CO, AR…).");
        DefaultRegion = r;
    }

    public void StartTrial(DateTimeOffset endsAt)
    {
        if (endsAt <= CreatedAt) throw new DomainException("tenant.trial", "A trial ends after the workspace was created.");
        TrialEndsAt = endsAt;
    }

    /// <summary>Whole days left in the trial, rounded up (the last afternoon still counts as a day); null without a trial.</summary>
    public int? TrialDaysLeft(DateTimeOffset now) =>
        TrialEndsAt is { } end ? Math.Max(0, (int)Math.Ceiling((end - now).TotalDays)) : null;

    public void DismissOnboarding(DateTimeOffset now) => OnboardingDismissedAt ??= now;

    /// <summary>Switches one built-in tool on or off; false when nothing changed.</summary>
    public bool SetBuiltInToolEnabled(string name, bool enabled)
    {
        if (enabled == !DisabledBuiltInTools.Contains(name)) return false;
        DisabledBuiltInTools = enabled
            ? DisabledBuiltInTools.Where(n => n != name).ToList()
            : DisabledBuiltInTools.Append(name).Order(StringComparer.Ordinal).ToList();
        return true;
    }

    public void Suspend() => SetStatus(TenantStatus.Suspended);

    public void Reactivate() => SetStatus(TenantStatus.Active);

    private void SetStatus(TenantStatus status)
    {
        if (Status == status) return;
        Status = status;
        Record(new WorkspaceStatusChanged(Id, status));
    }

    public void SetLocale(string timeZone, string culture)
    {
        TimeZone = timeZone;
        DefaultCulture = culture;
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,39}$")]
    private static partial Regex SlugPattern();
}
