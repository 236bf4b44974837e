using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Billing;

/// <summary>
/// The platform-billing e-mails to a workspace's owners (in the workspace's language), each sent once: the caller
/// first commits a <see cref="Domain.Billing.BillingNotice"/> with one of these kinds.
/// </summary>
public sealed class BillingMail(ContextScopes scopes, EmailOutbox email, PublicLinks links)
{
    public const string PaymentFailed = "payment_failed";
    public const string StripeTrialEnding = "stripe_trial_will_end";
    public const string TrialReminder = "trial_reminder";
    public const string TrialEnded = "trial_ended";

    public Task PaymentFailedAsync(Guid tenantId, CancellationToken ct) => SendAsync(tenantId, (tenant, spanish, link) => spanish
        ? ($"No pudimos cobrar la suscripción de {tenant.Name}",
            $"<p>El último cobro de la suscripción de <strong>{Html(tenant.Name)}</strong> falló. El bot sigue respondiendo unos días mientras Stripe reintenta;" +
            " si el pago no se completa, dejará de responder.</p>" +
            $"<p><a href=\"{link}\">Actualiza tu método de pago</a> en la página de facturación.</p>")
        : ($"We could not charge the subscription of {tenant.Name}",
            $"<p>The latest payment for <strong>{Html(tenant.Name)}</strong> failed. The bot keeps answering for a few days while Stripe retries;" +
            " if the payment does not go through, it stops answering.</p>" +
            $"<p><a href=\"{link}\">Update your payment method</a> on the billing page.</p>"), ct);

    public Task TrialEndingAsync(Guid tenantId, DateTimeOffset? endsAt, CancellationToken ct) => SendAsync(tenantId, (tenant, spanish, link) =>
    {
        var when = endsAt is { } end ? end.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo(spanish ? "es" : "en")) : null;
        return spanish
            ? ($"La prueba de {tenant.Name} termina pronto",
                $"<p>La prueba gratuita de <strong>{Html(tenant.Name)}</strong> termina{(when is null ? " en dos días" : " el " + when)}." +
                " Elige un plan para que el bot siga respondiendo a tus clientes.</p>" +
                $"<p><a href=\"{link}\">Elegir un plan</a></p>")
            : ($"The trial of {tenant.Name} ends soon",
                $"<p>The free trial of <strong>{Html(tenant.Name)}</strong> ends{(when is null ? " in two days" : " on " + when)}." +
                " Choose a plan so the bot keeps answering your customers.</p>" +
                $"<p><a href=\"{link}\">Choose a plan</a></p>");
    }, ct);

    public Task TrialEndedAsync(Guid tenantId, CancellationToken ct) => SendAsync(tenantId, (tenant, spanish, link) => spanish
        ? ($"La prueba de {tenant.Name} terminó",
            $"<p>La prueba gratuita de <strong>{Html(tenant.Name)}</strong> terminó y el bot dejó de responder. Los mensajes de tus clientes" +
            " se siguen guardando y tu equipo puede contestarlos.</p>" +
            $"<p><a href=\"{link}\">Elige un plan</a> para que el bot vuelva a responder al instante.</p>")
        : ($"The trial of {tenant.Name} has ended",
            $"<p>The free trial of <strong>{Html(tenant.Name)}</strong> has ended and the bot stopped answering. Your customers' messages" +
            " are still stored and your team can answer them.</p>" +
            $"<p><a href=\"{link}\">Choose a plan</a> and the bot answers again at once.</p>"), ct);

    /// <summary>Where a workspace's billing mail goes: the e-mail of each of its owners.</summary>
    internal static Task<List<string>> OwnerEmailsAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        (from m in db.TenantMembers
         join u in db.Users on m.UserId equals u.Id
         where m.TenantId == tenantId && m.Role == TenantRole.Owner && u.Email != null
         select u.Email!).ToListAsync(ct);

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private async Task SendAsync(Guid tenantId, Func<Tenant, bool, string, (string Subject, string Body)> compose, CancellationToken ct)
    {
        Tenant tenant;
        List<string> owners;
        await using (var work = scopes.ForTenant(tenantId))
        {
            tenant = await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
            owners = await OwnerEmailsAsync(work.Db, tenantId, ct);
        }
        var spanish = tenant.DefaultCulture.StartsWith("es", StringComparison.OrdinalIgnoreCase);
        var (subject, body) = compose(tenant, spanish, WebUtility.HtmlEncode(links.To(PlatformBilling.ReturnPath)));
        foreach (var owner in owners.Distinct(StringComparer.OrdinalIgnoreCase)) await email.SendAsync(owner, subject, body, ct);
    }
}
