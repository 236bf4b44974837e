using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>A countable thing a plan bounds (the words of the refusal are <c>PlanLimitKind.{name}</c>).</summary>
public enum PlanLimitKind { Seats, Channels, KnowledgeBytes, ReplayEvaluations }

/// <summary>
/// The plan's gates, checked where the action is (the services the UI and the REST API share): a feature the plan does
/// not include is refused with <c>plan.upgrade_required</c>, a bound that would be passed with <c>plan.limit_reached</c>;
/// both name the cheapest plan that allows it (the API answers 402 with <c>requiredPlan</c>, the UI offers the upgrade).
/// What a tenant already has is never taken away by a downgrade: only new things are refused.
/// </summary>
public static class PlanGates
{
    public const string UpgradeRequired = "plan.upgrade_required";
    public const string LimitReached = "plan.limit_reached";

    public static async Task<PlanLimits> LimitsAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        PlanCatalog.For(await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.Plan).SingleAsync(ct));

    public static void RequireFeature(PlanLimits limits, PlanFeature feature)
    {
        if (limits.Has(feature)) return;
        var plan = PlanCatalog.CheapestWith(feature);
        throw new DomainException(UpgradeRequired, $"{feature} is not included in the {limits.Plan} plan; it comes with {plan}.", feature, plan);
    }

    public static async Task RequireFeatureAsync(AppDbContext db, Guid tenantId, PlanFeature feature, CancellationToken ct) =>
        RequireFeature(await LimitsAsync(db, tenantId, ct), feature);

    /// <summary>Refuses when <paramref name="used"/> plus <paramref name="adding"/> would pass the plan's bound.</summary>
    public static void RequireRoom(PlanLimits limits, PlanLimitKind kind, long used, long adding = 1)
    {
        if (Bound(limits, kind) is not { } bound || used + adding <= bound) return;
        var plan = PlanCatalog.All.First(l => Bound(l, kind) is not { } b || used + adding <= b).Plan;
        throw new DomainException(LimitReached, $"The {limits.Plan} plan allows {Shown(kind, bound)} ({kind}); {plan} allows more.", kind, Shown(kind, bound), plan);
    }

    public static long? Bound(PlanLimits limits, PlanLimitKind kind) => kind switch
    {
        PlanLimitKind.Seats => limits.Seats,
        PlanLimitKind.Channels => limits.Channels,
        PlanLimitKind.KnowledgeBytes => limits.KnowledgeBytes,
        PlanLimitKind.ReplayEvaluations => limits.ReplayEvaluationsPerMonth,
        _ => null,
    };

    private static string Shown(PlanLimitKind kind, long bound) => kind == PlanLimitKind.KnowledgeBytes
        ? (bound / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MB"
        : bound.ToString(CultureInfo.InvariantCulture);

    /// <summary>The plan a refusal asks for (the API's <c>requiredPlan</c>), or null when it is not a plan refusal.</summary>
    public static Plan? RequiredPlan(DomainException refusal) =>
        refusal.Code is UpgradeRequired or LimitReached ? refusal.Args.OfType<Plan>().Cast<Plan?>().LastOrDefault() : null;
}
