using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>PUT body: minutes before the appointment for each reminder, and the approved template used outside the customer window.</summary>
public sealed record ReminderSettingsRequest(int[]? OffsetsMinutes, string? TemplateName, string? TemplateLanguage, string? Address);

public sealed record ReminderSettingsResponse(IReadOnlyList<int> OffsetsMinutes, string? TemplateName, string? TemplateLanguage, string? Address);

/// <summary>When customers are reminded of their appointments.</summary>
public static class RemindersApi
{
    public static RouteGroupBuilder MapRemindersApi(this RouteGroupBuilder api)
    {
        var reminders = api.MapGroup("/tenants/{t}/reminders").WithTags("Appointments");
        reminders.MapGet("/", Get).WithSummary("Reminder settings {offsetsMinutes: [1440, 120], templateName?, templateLanguage?, address?}.");
        reminders.MapPut("/", Put).WithSummary("Replace the reminder settings; applies to appointments booked or moved from now on.");
        return api;
    }

    private static ReminderSettingsResponse ToResponse(ReminderSettingsView v) => new(v.OffsetsMinutes, v.TemplateName, v.TemplateLanguage, v.Address);

    private static async Task<Results<Ok<ReminderSettingsResponse>, ProblemHttpResult>> Get(string t, ClaimsPrincipal caller, ContextScopes scopes,
        ReminderSettingsStore store, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(ToResponse(await store.GetAsync(tenant!.Id, ct)));
    }

    private static async Task<Results<Ok<ReminderSettingsResponse>, ProblemHttpResult>> Put(string t, ReminderSettingsRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, ReminderSettingsStore store, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var saved = await store.SaveAsync(tenant!.Id, body.OffsetsMinutes, body.TemplateName, body.TemplateLanguage, body.Address, ct);
        return TypedResults.Ok(ToResponse(saved));
    }
}
