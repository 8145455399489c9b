/* klaviyo.h - what other writers share with the Klaviyo files: the names of
 * the profile properties that mark an experiment's holdout. */
#ifndef CVO_OUTPUT_KLAVIYO_H
#define CVO_OUTPUT_KLAVIYO_H

/* "CVO Holdout Winback", "CVO Holdout VIP", "CVO Holdout Referral", "CVO
 * Holdout No Discount" for the treatment lists; "CVO Holdout" otherwise. */
const char *klaviyo_holdout_name(unsigned list_bit);
/* The list's own profile property: "CVO Winback", "CVO VIP", "CVO Referral",
 * "CVO No Discount" ("CVO" for another list). */
const char *klaviyo_list_property(unsigned list_bit);

#endif
