"""Every write of the evaluation app, one module per sub-domain (schemes, rounds and cases, experts and
panels, notices, chief technology officers). Import from the module: `from rencai.evaluation.services
import panels`."""
