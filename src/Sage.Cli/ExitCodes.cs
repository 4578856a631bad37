namespace Sage.Cli;

/// <summary>Exit codes of `sage`, documented in the README.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int CheckFailed = 1;
    public const int BadInput = 2;
    public const int NoCuda = 3;
}
