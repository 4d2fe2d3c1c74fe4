/* true: the exec target of exec-storm, built static so an exec loads no shared libraries. */
int main(void)
{
	return 0;
}
