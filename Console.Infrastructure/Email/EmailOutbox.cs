using System.Net;
using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Email;

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public bool EnableSsl { get; set; } = true;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "Console <no-reply@console.local>";
}

/// <summary>
/// Sends e-mail through SMTP when configured; otherwise stores it for super admins to read (Admin → E-mails).
/// Either way a row is written, so no e-mail is silently dropped.
/// </summary>
public sealed class EmailOutbox(IOptions<SmtpOptions> options, ContextScopes scopes, TimeProvider clock, ILogger<EmailOutbox> log)
    : IEmailSender<ApplicationUser>
{
    public async Task SendAsync(string to, string subject, string htmlBody, CancellationToken ct = default)
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
        work.Db.OutboundEmails.Add(OutboundEmail.Create(to, subject, htmlBody, status, error, clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    public Task SendConfirmationLinkAsync(ApplicationUser user, string email, string confirmationLink) =>
        SendAsync(email, "Confirm your Console account / Confirma tu cuenta",
            $"<p>Confirm your account: <a href=\"{confirmationLink}\">{WebUtility.HtmlEncode(confirmationLink)}</a></p>" +
            $"<p>Confirma tu cuenta: <a href=\"{confirmationLink}\">{WebUtility.HtmlEncode(confirmationLink)}</a></p>");

    public Task SendPasswordResetLinkAsync(ApplicationUser user, string email, string resetLink) =>
        SendAsync(email, "Reset your Console password / Restablece tu contraseña",
            $"<p>Reset your password: <a href=\"{resetLink}\">{WebUtility.HtmlEncode(resetLink)}</a></p>" +
            $"<p>Restablece tu contraseña: <a href=\"{resetLink}\">{WebUtility.HtmlEncode(resetLink)}</a></p>");

    public Task SendPasswordResetCodeAsync(ApplicationUser user, string email, string resetCode) =>
        SendAsync(email, "Console password reset code / Código para restablecer", $"<p>{WebUtility.HtmlEncode(resetCode)}</p>");
}
