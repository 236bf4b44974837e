using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>One opening interval: {"day":"Monday","opens":"09:00","closes":"18:00"}.</summary>
public sealed record OpeningDto(string Day, string Opens, string Closes);
public sealed record ExampleDto(string? Customer, string? Agent);

/// <summary>The agent profile as the API shows it (interfaces.md), plus the extensions after <c>botEnabled</c>.</summary>
public sealed record AgentProfileDto(
    string? SystemPrompt, string? Tone, string? Model, double? Temperature, int? MaxTokens, int? BufferSeconds, string? TimeZone,
    IReadOnlyList<OpeningDto>? BusinessHours, IReadOnlyList<string>? EscalationKeywords, int? AutoEscalateAfterMessages,
    IReadOnlyList<ExampleDto>? FewShotExamples, bool? BotEnabled,
    string? OutOfHours = null, int? HighValueScore = null, IReadOnlyList<string>? LeadFields = null, int? AppointmentMinutes = null,
    string? HandoffNotifyNumber = null, int? Version = null);

public static class AgentApi
{
    public static RouteGroupBuilder MapAgentApi(this RouteGroupBuilder api)
    {
        var agent = api.MapGroup("/tenants/{t}/agent").WithTags("Agent");
        agent.MapGet("/", GetProfile).WithSummary("The live agent profile.");
        agent.MapPut("/", PutProfile).WithSummary("Change the live agent profile (a new version; fields left out keep their value).");
        return api;
    }

    private static async Task<Results<Ok<AgentProfileDto>, ProblemHttpResult>> GetProfile(string t, ClaimsPrincipal caller, ContextScopes scopes,
        AgentProfiles profiles, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var live = await profiles.GetLiveAsync(work.Db, tenant.Id, ct);
        return TypedResults.Ok(ToDto(live, tenant.BotEnabled));
    }

    private static async Task<Results<Ok<AgentProfileDto>, ProblemHttpResult>> PutProfile(string t, AgentProfileDto body, ClaimsPrincipal caller,
        ContextScopes scopes, AgentProfiles profiles, ModelAllowlist models, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!models.IsAllowed(body.Model))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "agent.model", body.Model!.Trim(), string.Join(", ", models.Allowed));
        await using var work = scopes.ForTenant(tenant!.Id);
        var live = await profiles.GetLiveAsync(work.Db, tenant.Id, ct);
        var (settings, error) = Merge(live.Settings, body);
        if (error is not null) return ApiProblems.Of(StatusCodes.Status400BadRequest, error.Value.Code, error.Value.Args);
        var next = await profiles.UpdateLiveAsync(work.Db, tenant.Id, settings!, ct);
        var botEnabled = tenant.BotEnabled;
        if (body.BotEnabled is { } enabled && enabled != tenant.BotEnabled)
        {
            var row = await work.Db.Tenants.SingleAsync(x => x.Id == tenant.Id, ct);
            row.SetBotEnabled(enabled);
            await work.Db.SaveChangesAsync(ct);
            botEnabled = enabled;
        }
        return TypedResults.Ok(ToDto(next, botEnabled));
    }

    public static AgentProfileDto ToDto(AgentProfile p, bool botEnabled) => new(
        p.SystemPrompt, p.Tone, p.Model, p.Temperature, p.MaxTokens, p.BufferSeconds, p.TimeZone,
        p.BusinessHours.Intervals.Select(i => new OpeningDto(i.Day.ToString(), i.Opens.ToString("HH:mm", CultureInfo.InvariantCulture),
            i.Closes.ToString("HH:mm", CultureInfo.InvariantCulture))).ToList(),
        p.EscalationKeywords, p.AutoEscalateAfterMessages, p.FewShotExamples.Select(e => new ExampleDto(e.Customer, e.Agent)).ToList(), botEnabled,
        p.OutOfHours.ToString(), p.HighValueScore, p.LeadFields, p.AppointmentMinutes, p.HandoffNotifyNumber, p.Version);

    /// <summary>Fields present in the body replace the current ones; a malformed field is a 400 naming it.</summary>
    private static (AgentSettings? Settings, (string Code, object?[] Args)? Error) Merge(AgentSettings s, AgentProfileDto b)
    {
        var hours = s.BusinessHours;
        if (b.BusinessHours is { } list)
        {
            var intervals = new List<OpeningInterval>();
            foreach (var o in list)
            {
                if (!Enum.TryParse<DayOfWeek>(o.Day, true, out var day) || !Enum.IsDefined(day))
                    return (null, ("api.business_hours_day", [o.Day]));
                if (!TimeOnly.TryParseExact(o.Opens, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var opens)
                    || !TimeOnly.TryParseExact(o.Closes, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var closes))
                    return (null, ("api.business_hours_time", [o.Opens, o.Closes]));
                intervals.Add(new OpeningInterval(day, opens, closes));
            }
            hours = new BusinessHours(intervals);
        }
        var outOfHours = s.OutOfHours;
        if (b.OutOfHours is { } mode && !Enum.TryParse(mode, true, out outOfHours))
            return (null, ("api.out_of_hours", []));
        var examples = b.FewShotExamples?.Select(e => new FewShotExample(e.Customer ?? "", e.Agent ?? "")).ToList() ?? s.FewShotExamples;
        return (s with
        {
            SystemPrompt = b.SystemPrompt ?? s.SystemPrompt,
            Tone = b.Tone ?? s.Tone,
            Model = b.Model ?? s.Model,
            Temperature = b.Temperature ?? s.Temperature,
            MaxTokens = b.MaxTokens ?? s.MaxTokens,
            BufferSeconds = b.BufferSeconds ?? s.BufferSeconds,
            TimeZone = b.TimeZone ?? s.TimeZone,
            BusinessHours = hours,
            OutOfHours = outOfHours,
            EscalationKeywords = b.EscalationKeywords ?? s.EscalationKeywords,
            AutoEscalateAfterMessages = b.AutoEscalateAfterMessages ?? s.AutoEscalateAfterMessages,
            HighValueScore = b.HighValueScore ?? s.HighValueScore,
            FewShotExamples = examples,
            LeadFields = b.LeadFields ?? s.LeadFields,
            AppointmentMinutes = b.AppointmentMinutes ?? s.AppointmentMinutes,
            HandoffNotifyNumber = b.HandoffNotifyNumber ?? s.HandoffNotifyNumber,
        }, null);
    }
}
