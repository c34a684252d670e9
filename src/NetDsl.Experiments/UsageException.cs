using System;

namespace NetDsl.Experiments;

/// <summary>
/// A mistake in what was asked (an option, a folder, a name, Slurm settings): the message names the problem and the fix.
/// <c>netdsl</c> prints the message and exits with code 2; a library caller shows it to its user as it is.
/// </summary>
/// <param name="message">The problem and the fix, in one sentence.</param>
public sealed class UsageException(string message) : Exception(message);
