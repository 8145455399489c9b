/* power.h - the power arithmetic of a two-arm test of means (a proportion is a
 * mean of 0/1 with sigma^2 = p (1 - p)): the minimal detectable effect of N
 * members and the members needed for an effect, two-sided alpha, power 1 - beta,
 * shares s_T (treatment) and s_H = 1 - s_T (holdout). */
#ifndef CVO_EXP_POWER_H
#define CVO_EXP_POWER_H

/* z_{1-alpha/2} + z_{1-beta}: 2.80158 at alpha 0.05 and power 0.8. */
double power_z_sum(double alpha, double power);
/* MDE = z_sum sigma sqrt(1/(N s_T) + 1/(N s_H)); NaN when N or a share is 0. */
double power_mde(double sigma, double members, double holdout_share, double alpha, double power);
/* N = z_sum^2 sigma^2 (1/s_T + 1/s_H) / delta^2 (total, both arms), not rounded;
 * infinity when delta is 0, NaN for a share outside (0, 1). */
double power_members(double sigma, double delta, double holdout_share, double alpha, double power);
/* Variance of a 0/1 outcome with mean p. */
double power_proportion_variance(double p);

#endif
