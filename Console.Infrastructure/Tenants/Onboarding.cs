using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Tenants;

/// <summary>Where a new workspace stands on its first-run path. Each item is read from the data, never ticked by hand.</summary>
public sealed record OnboardingStatus(bool ChannelConnected, bool BusinessDescribed, bool KnowledgeAdded, bool AgentTried, bool TeamInvited,
    bool Dismissed)
{
    public int Done => new[] { ChannelConnected, BusinessDescribed, KnowledgeAdded, AgentTried, TeamInvited }.Count(d => d);

    public const int Total = 5;

    public bool Complete => Done == Total;

    public bool Visible => !Dismissed && !Complete;
}

/// <summary>What the owner says about the business in the first-run form; it becomes the agent's first prompt.</summary>
public sealed record BusinessDescription(string WhatYouSell, string Prices, string Hours, string Tone);

public sealed class Onboarding(AgentProfiles profiles, TimeProvider clock)
{
    public async Task<OnboardingStatus> GetAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
        return new OnboardingStatus(
            ChannelConnected: await db.Channels.AnyAsync(c => c.TenantId == tenantId, ct),
            // The default prompt is version 1; a later published version is the owner's own words.
            BusinessDescribed: await db.AgentProfiles.AnyAsync(p => p.TenantId == tenantId && p.Version > 1 && p.PublishedAt != null, ct),
            KnowledgeAdded: await db.KnowledgeDocuments.AnyAsync(d => d.TenantId == tenantId, ct),
            // A simulated customer's message is a real conversation on the channel; the agent sandbox leaves its token usage.
            AgentTried: await db.Conversations.AnyAsync(c => c.TenantId == tenantId, ct)
                || await db.TokenUsage.AnyAsync(u => u.TenantId == tenantId && u.Feature == LlmFeature.Sandbox, ct),
            TeamInvited: await HasTeamBeyondOwnerAsync(db, tenantId, ct),
            Dismissed: tenant.OnboardingDismissedAt is not null);
    }

    /// <summary>
    /// "Invite the team" is done once someone besides the owner is in the workspace, or an invitation is on its way
    /// (sent, not revoked, not expired): the owner did their part even before the colleague clicks the link.
    /// </summary>
    public async Task<bool> HasTeamBeyondOwnerAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        if (await db.TenantMembers.CountAsync(m => m.TenantId == tenantId, ct) > 1) return true;
        var now = clock.GetUtcNow();
        return await db.Invitations.AnyAsync(i => i.TenantId == tenantId && i.RevokedAt == null && (i.AcceptedAt != null || i.ExpiresAt > now), ct);
    }

    public async Task DismissAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleAsync(t => t.Id == tenantId, ct);
        tenant.DismissOnboarding(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The first prompt from the owner's answers, in the workspace's language, naming the business as the owner wrote it.</summary>
    public static string DraftPrompt(BusinessDescription d, string culture, string businessName)
    {
        static string Or(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        return culture.StartsWith("en", StringComparison.OrdinalIgnoreCase)
            ? $$$"""
               You are the virtual assistant of {{{businessName.Trim()}}}. You answer our customers' messages.

               What we sell:
               {{{Or(d.WhatYouSell, "(describe your products or services)")}}}

               Prices:
               {{{Or(d.Prices, "(ask the customer to wait for a person to confirm prices)")}}}

               Opening hours:
               {{{Or(d.Hours, "(not given)")}}}

               Tone: {{{Or(d.Tone, "friendly and professional")}}}.

               Rules:
               - Answer briefly and clearly, in the customer's language.
               - Use only this information and the business's knowledge; if you do not know something, say so and offer to pass the conversation to a person on the team.
               - Never make up prices, discounts or availability.
               """
            : $$$"""
               Eres el asistente virtual de {{{businessName.Trim()}}}. Respondes los mensajes de nuestros clientes.

               Lo que vendemos:
               {{{Or(d.WhatYouSell, "(describe tus productos o servicios)")}}}

               Precios:
               {{{Or(d.Prices, "(pide al cliente que espere a que una persona confirme los precios)")}}}

               Horario de atención:
               {{{Or(d.Hours, "(sin indicar)")}}}

               Tono: {{{Or(d.Tone, "amable y profesional")}}}.

               Reglas:
               - Responde breve y claro, en el idioma del cliente.
               - Usa solo esta información y la del conocimiento del negocio; si no sabes algo, dilo y ofrece pasar la conversación a una persona del equipo.
               - No inventes precios, descuentos ni disponibilidad.
               """;
    }

    /// <summary>
    /// Saves the owner's (possibly edited) prompt through the ordinary draft and publishes it, so the bot answers with it
    /// at once. The zone stays the business's: publishing makes the agent's zone the workspace's.
    /// </summary>
    public async Task<AgentProfile> SaveBusinessPromptAsync(AppDbContext db, Guid tenantId, string prompt, string? tone, CancellationToken ct)
    {
        var zone = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.TimeZone).SingleAsync(ct);
        var draft = await profiles.GetDraftAsync(db, tenantId, ct);
        var settings = draft.Settings with
        {
            SystemPrompt = prompt.Trim(),
            Tone = string.IsNullOrWhiteSpace(tone) ? draft.Tone : tone.Trim(),
            TimeZone = zone,
        };
        await profiles.SaveDraftAsync(db, tenantId, settings, ct);
        return await profiles.PublishDraftAsync(db, tenantId, ct);
    }
}
