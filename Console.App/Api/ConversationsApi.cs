using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record SendTemplate(string? Name, string? Language, IReadOnlyList<string>? Parameters);
public sealed record SendMessageRequest(string? Text, SendTemplate? Template);
public sealed record QueuedMessageResponse(Guid Id, string Status, DateTimeOffset CreatedAt);

public static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this RouteGroupBuilder api)
    {
        var conversations = api.MapGroup("/tenants/{t}/conversations").WithTags("Conversations");
        conversations.MapPost("/{id:guid}/messages", SendMessage)
            .WithSummary("Send a message as a human agent: free text inside the customer window, or a WhatsApp template.");
        return api;
    }

    private static async Task<Results<Accepted<QueuedMessageResponse>, ProblemHttpResult>> SendMessage(string t, Guid id, SendMessageRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, OutboundMessages outbound, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        OutboundContent content;
        if (body.Template is { } template)
        {
            if (string.IsNullOrWhiteSpace(template.Name) || string.IsNullOrWhiteSpace(template.Language))
                return TypedResults.Problem(statusCode: 400, detail: "template.name and template.language are required.");
            content = new OutboundContent { Template = new TemplateContent(template.Name, template.Language, template.Parameters ?? []) };
        }
        else if (!string.IsNullOrEmpty(body.Text))
        {
            content = new OutboundContent { Text = body.Text };
        }
        else
        {
            return TypedResults.Problem(statusCode: 400, detail: "Send either text or template.");
        }
        var message = await outbound.QueueAsync(tenant!.Id, id, MessageSender.Agent, null, content, ct);
        return TypedResults.Accepted($"/api/v1/tenants/{tenant.Id}/conversations/{id}/messages/{message.Id}",
            new QueuedMessageResponse(message.Id, message.Status.ToString(), message.CreatedAt));
    }
}
