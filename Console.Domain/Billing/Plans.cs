using OperatorConsole.Domain.Tenants;

namespace OperatorConsole.Domain.Billing;

/// <summary>What only some plans include. Gated features stay visible with an upgrade prompt; they are never hidden.</summary>
public enum PlanFeature { ReplayEvaluation, OutboundWebhooks, CustomTools }

/// <summary>
/// A plan's allowances; null = unlimited. AI replies are the bot's answered turns (one per turn, however many messages
/// it sends); once the day's or the month's allowance is used, prepaid credits pay for further replies.
/// <see cref="MonthlyUsd"/> is the list price shown and used for MRR; what a tenant is charged is the Stripe price
/// (<c>Stripe:Prices:{Plan}</c>).
/// </summary>
public sealed record PlanLimits(
    Plan Plan,
    int? RepliesPerDay,
    int? RepliesPerMonth,
    int? Seats,
    int? Channels,
    long? KnowledgeBytes,
    int? ReplayEvaluationsPerMonth,
    IReadOnlySet<PlanFeature> Features,
    decimal? MonthlyUsd)
{
    public bool Has(PlanFeature feature) => Features.Contains(feature);

    public bool UnlimitedReplies => RepliesPerDay is null && RepliesPerMonth is null;

    /// <summary>
    /// How far the day's and the month's reply counts need to read: to the allowance (below it exact, at it "used up"),
    /// and not at all without one. Both allowance checks count with these as their LIMIT.
    /// </summary>
    public (int Day, int Month) ReplyCountCaps => (RepliesPerDay ?? 0, RepliesPerMonth ?? 0);
}

/// <summary>The plans the platform sells and what each allows (DESIGN.md: plan limits).</summary>
public static class PlanCatalog
{
    private const long Megabyte = 1024 * 1024;

    private static readonly IReadOnlySet<PlanFeature> None = new HashSet<PlanFeature>();
    private static readonly IReadOnlySet<PlanFeature> Everything = Enum.GetValues<PlanFeature>().ToHashSet();

    public static readonly IReadOnlyList<PlanLimits> All =
    [
        new(Plan.Starter, 100, 3_000, Seats: 2, Channels: 1, KnowledgeBytes: 10 * Megabyte, ReplayEvaluationsPerMonth: 0, None, 29m),
        new(Plan.Growth, 300, 9_000, Seats: 5, Channels: 3, KnowledgeBytes: 50 * Megabyte, ReplayEvaluationsPerMonth: 0, None, 79m),
        new(Plan.Pro, 1_000, 30_000, Seats: 15, Channels: 10, KnowledgeBytes: 200 * Megabyte, ReplayEvaluationsPerMonth: 50, Everything, 199m),
        new(Plan.Enterprise, null, null, null, null, null, null, Everything, null),
    ];

    public static PlanLimits For(Plan plan) => All.Single(l => l.Plan == plan);

    /// <summary>The cheapest plan that includes the feature: what an upgrade prompt offers.</summary>
    public static Plan CheapestWith(PlanFeature feature) => All.First(l => l.Has(feature)).Plan;

    /// <summary>The plans bought through Stripe Checkout (Enterprise is arranged with the platform).</summary>
    public static readonly IReadOnlyList<Plan> SelfServe = [Plan.Starter, Plan.Growth, Plan.Pro];
}

/// <summary>A prepaid pack of AI replies bought through one-time Checkout; what is left expires after <see cref="ValidDays"/>.</summary>
public sealed record CreditPack(string Id, int Replies, decimal PriceUsd, int ValidDays)
{
    public static readonly IReadOnlyList<CreditPack> All =
    [
        new("replies-500", 500, 10m, 365),
        new("replies-2000", 2_000, 35m, 365),
        new("replies-10000", 10_000, 150m, 365),
    ];

    public static CreditPack? Find(string? id) => All.FirstOrDefault(p => p.Id == id);
}
