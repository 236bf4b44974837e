// TEMPORARY: replaced by the real validator and senders from branch 'outbound' before merge.
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

public static class OutboundValidator
{
    public static IReadOnlyList<ValidationProblem> Validate(ChannelKind kind, OutboundContent content) => throw new NotImplementedException();
}

public static class OutboundServiceCollectionExtensions
{
    public static IServiceCollection AddChannelSenders(this IServiceCollection services) => services;
}
