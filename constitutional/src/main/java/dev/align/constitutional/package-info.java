/** Constitutional self-critique: the policy critiques and revises its answers against written principles. */
package dev.align.constitutional;
