using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Email;

/// <summary>Outgoing e-mail. Keys: Smtp:*; no Host = mails are only logged.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }
    [Range(1, 65535)] public int Port { get; set; } = 587;
    public bool EnableSsl { get; set; } = true;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    [Required] public string From { get; set; } = "Console <no-reply@console.local>";
}

/// <summary>
/// Sends e-mail through SMTP when configured; otherwise stores it for super admins to read (Admin → E-mails).
/// Either way a row is written, so no e-mail is silently dropped. Once SMTP has taken a message, the stored copy has
/// its links and codes removed: a reset link in the log would let any super admin take over the account.
/// </summary>
public sealed partial class EmailOutbox(IOptions<SmtpOptions> options, ContextScopes scopes, TimeProvider clock, ILogger<EmailOutbox> log)
    : IEmailSender<ApplicationUser>
{
    public const string Redacted = "[removed after delivery]";

    public Task SendAsync(string to, string subject, string htmlBody, CancellationToken ct = default) => SendAsync(to, subject, htmlBody, [], ct);

    private async Task SendAsync(string to, string subject, string htmlBody, IReadOnlyList<string> secrets, CancellationToken ct)
    {
        var smtp = options.Value;
        EmailStatus status;
        string? error = null;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            status = EmailStatus.Stored;
        }
        else
        {
            try
            {
                using var client = new SmtpClient(smtp.Host, smtp.Port) { EnableSsl = smtp.EnableSsl };
                if (!string.IsNullOrEmpty(smtp.UserName)) client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
                using var message = new MailMessage(smtp.From.Contains('<') ? new MailAddress(smtp.From) : new MailAddress(smtp.From), new MailAddress(to))
                {
                    Subject = subject, Body = htmlBody, IsBodyHtml = true,
                };
                await client.SendMailAsync(message, ct);
                status = EmailStatus.Sent;
            }
            catch (Exception ex) when (ex is SmtpException or InvalidOperationException or FormatException)
            {
                status = EmailStatus.Failed;
                error = ex.Message;
                log.LogError(ex, "SMTP delivery failed for {To}", to);
            }
        }
        await using var work = scopes.ForSystem("e-mail outbox");
        // Only a message SMTP never saw (no SMTP configured) keeps its link: the super admin is then the only way to it.
        var kept = status == EmailStatus.Stored ? htmlBody : Redact(htmlBody, secrets);
        work.Db.OutboundEmails.Add(OutboundEmail.Create(to, subject, kept, status, error, clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>Removes the given secrets (links, codes) and any token-bearing query value left in a link.</summary>
    public static string Redact(string htmlBody, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)).OrderByDescending(s => s.Length))
            htmlBody = htmlBody.Replace(WebUtility.HtmlEncode(secret), Redacted).Replace(secret, Redacted);
        return TokenQueryValue().Replace(htmlBody, "$1" + Redacted);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"([?&](?:amp;)?(?:code|token|key)=)[^""&<\s]+", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex TokenQueryValue();

    // E-mails speak the recipient's language: the one they chose in the console, else the one of the request that sent it.
    private static bool InSpanish(ApplicationUser user) =>
        (user.Culture ?? System.Globalization.CultureInfo.CurrentUICulture.Name).StartsWith("es", StringComparison.OrdinalIgnoreCase);

    public Task SendConfirmationLinkAsync(ApplicationUser user, string email, string confirmationLink) => InSpanish(user)
        ? SendAsync(email, "Confirma tu cuenta de Console",
            $"<p>Confirma tu cuenta: <a href=\"{confirmationLink}\">{WebUtility.HtmlEncode(confirmationLink)}</a></p>", [confirmationLink], default)
        : SendAsync(email, "Confirm your Console account",
            $"<p>Confirm your account: <a href=\"{confirmationLink}\">{WebUtility.HtmlEncode(confirmationLink)}</a></p>", [confirmationLink], default);

    public Task SendPasswordResetLinkAsync(ApplicationUser user, string email, string resetLink) => InSpanish(user)
        ? SendAsync(email, "Restablece tu contraseña de Console",
            $"<p>Restablece tu contraseña con este enlace: <a href=\"{resetLink}\">{WebUtility.HtmlEncode(resetLink)}</a></p>" +
            "<p>Si no lo pediste, ignora este correo.</p>", [resetLink], default)
        : SendAsync(email, "Reset your Console password",
            $"<p>Reset your password with this link: <a href=\"{resetLink}\">{WebUtility.HtmlEncode(resetLink)}</a></p>" +
            "<p>If you did not ask for it, ignore this e-mail.</p>", [resetLink], default);

    public Task SendPasswordResetCodeAsync(ApplicationUser user, string email, string resetCode) =>
        SendAsync(email, InSpanish(user) ? "Código para restablecer tu contraseña de Console" : "Console password reset code",
            $"<p>{WebUtility.HtmlEncode(resetCode)}</p>", [resetCode], default);
}

/// <summary>One row of the e-mail log as the command center lists it: never the body.</summary>
public sealed record EmailLogEntry(Guid Id, DateTimeOffset CreatedAt, string To, string Subject, EmailStatus Status, string? Error);

/// <summary>
/// The command center's e-mail log. Bodies are read one at a time; reading one that was never delivered (no SMTP: its
/// link is live) is audited with who read it, because that link opens the recipient's account.
/// </summary>
public sealed class EmailLog(ContextScopes scopes, TimeProvider clock)
{
    public async Task<IReadOnlyList<EmailLogEntry>> ListAsync(Guid superAdminId, string actor, int take = 50, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, "command center: e-mail log", ct);
        return await work.Db.OutboundEmails.AsNoTracking().OrderByDescending(e => e.CreatedAt).Take(take)
            .Select(e => new EmailLogEntry(e.Id, e.CreatedAt, e.To, e.Subject, e.Status, e.Error)).ToListAsync(ct);
    }

    public async Task<string?> ReadBodyAsync(Guid emailId, Guid superAdminId, string actor, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"command center: read e-mail {emailId}", ct);
        var email = await work.Db.OutboundEmails.AsNoTracking().SingleOrDefaultAsync(e => e.Id == emailId, ct);
        if (email is null) return null;
        if (email.Status == EmailStatus.Stored)
        {
            work.Db.AuditEntries.Add(AuditEntry.Create(null, superAdminId, actor, "email.read_pending", nameof(OutboundEmail), email.Id.ToString(),
                $"Pending e-mail to {email.To}: {email.Subject}", clock.GetUtcNow()));
            await work.Db.SaveChangesAsync(ct);
        }
        return email.HtmlBody;
    }
}
